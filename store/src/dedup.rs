//! Duplicates across the whole archive. A device only sees its own cache,
//! so two reps can each create the same customer offline, and an import can
//! bring one in twice. The server finds such pairs (by a sweep over every
//! archive, and after each push among the archives it touched), with the
//! same rules and scores as the device (`domain::dedup`), and keeps them in
//! a queue managers and admins work through: merge, or "not a duplicate",
//! which is remembered so the pair never comes back.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use domain::archive::Customer;
use domain::dedup::{DuplicateReason, SearchKeys, duplicates, search_keys};
use domain::ids::CustomerId;
use domain::policy::{Sight, Viewer};
use domain::search::{email_key, phone_key};
use domain::views::{DuplicateHint, DuplicatePairView};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::query::take_all;
use crate::{Store, StoreError};

/// Archives sharing one key beyond this many (a company's switchboard on a
/// thousand records) are not paired: no person would work through the pairs.
const MAX_GROUP: usize = 50;

/// Archives read at a time when pairs are confirmed.
const CHUNK: usize = 500;

/// What a sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Archives looked at.
    pub scanned: usize,
    /// Pairs that are likely duplicates (new or already open).
    pub pairs: usize,
}

/// What the sweep reads of each archive: the columns the rules compare.
#[derive(Deserialize)]
struct KeyRow {
    id: String,
    name: String,
    #[serde(default)]
    pinyin: String,
    #[serde(default)]
    phones: Vec<String>,
    #[serde(default)]
    emails: Vec<String>,
    city: Option<String>,
}

#[derive(Deserialize)]
struct DocRow {
    id: String,
    doc: String,
}

#[derive(Deserialize)]
struct PairRow {
    key: String,
    a: String,
    b: String,
    score: i64,
    reasons: String,
}

impl Store {
    /// Looks at every archive for likely duplicates and queues the pairs.
    pub async fn dedup_sweep(&self) -> Result<SweepReport, StoreError> {
        let mut response = self
            .db
            .query("SELECT record::id(id) AS id, name, pinyin, phones, emails, city FROM customer WHERE deleted = false")
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<KeyRow> = take_all(&mut response, 0)?;
        let pairs = candidate_pairs(&rows);
        let pairs = pairs.into_iter().map(|(i, j)| (rows[i].id.clone(), rows[j].id.clone())).collect();
        let found = self.confirm_pairs(pairs).await?;
        Ok(SweepReport { scanned: rows.len(), pairs: found })
    }

    /// Looks for duplicates of the archives `ids` (just pushed) among all
    /// others: the same phone, email or name (found through indexes, so a
    /// check costs the same in a small archive as in a large one). Names
    /// that only sound alike are left to the sweep. Returns how many pairs
    /// are queued.
    pub async fn check_duplicates_of(&self, ids: &[CustomerId]) -> Result<usize, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let targets = records(ids.iter().map(ToString::to_string));
        let mut response = self
            .db
            .query(format!(
                "SELECT record::id(id) AS id, name, pinyin, phones, emails, city FROM {targets} WHERE deleted = false"
            ))
            .await
            .map_err(StoreError::from_db)?;
        let touched: Vec<KeyRow> = take_all(&mut response, 0)?;
        // Each key is looked up on its own, for at most one archive more
        // than a group may hold: a common name (a thousand 张伟) costs a
        // bounded read, and a group that is too big is known to be.
        let lookups: BTreeSet<Lookup> = touched.iter().flat_map(lookups_of).collect();
        let lookups: Vec<Lookup> = lookups.into_iter().collect();
        let mut groups: BTreeMap<&Lookup, BTreeSet<String>> = BTreeMap::new();
        for chunk in lookups.chunks(LOOKUPS_PER_QUERY) {
            let mut text = String::new();
            for (i, lookup) in chunk.iter().enumerate() {
                // A deleted archive holds no search keys.
                let (table, condition) = match lookup {
                    Lookup::Contact(_) => ("customer_keys", format!("keys CONTAINS $k{i}")),
                    Lookup::Name(_) => ("customer", format!("name = $k{i} AND deleted = false")),
                };
                text.push_str(&format!(
                    "SELECT VALUE record::id(id) FROM {table} WHERE {condition} LIMIT {};\n",
                    MAX_GROUP + 1
                ));
            }
            let mut query = self.db.query(text);
            for (i, lookup) in chunk.iter().enumerate() {
                query = query.bind((format!("k{i}"), lookup.value().to_owned()));
            }
            let mut response = query.await.map_err(StoreError::from_db)?;
            for (i, lookup) in chunk.iter().enumerate() {
                let members: Vec<String> = take_all(&mut response, i)?;
                groups.insert(lookup, members.into_iter().collect());
            }
        }
        let mut pairs = BTreeSet::new();
        for row in &touched {
            for key in lookups_of(row) {
                let Some(members) = groups.get(&key).filter(|m| m.len() <= MAX_GROUP) else { continue };
                pairs.extend(
                    members.iter().filter(|m| **m != row.id).map(|m| ordered(row.id.clone(), m.clone())),
                );
            }
        }
        self.confirm_pairs(pairs).await
    }

    /// Likely duplicates of `draft` (an archive being created or edited)
    /// anywhere in the archive, most likely first, as `viewer` may learn of
    /// them: who keeps each, and which archive only when they may see it.
    pub async fn duplicate_hints(
        &self,
        viewer: &Viewer,
        draft: &Customer,
    ) -> Result<Vec<DuplicateHint>, StoreError> {
        let phones: Vec<String> = draft.fields.phones.iter().map(|p| p.number.e164().to_owned()).collect();
        let emails: Vec<String> = draft.fields.emails.iter().map(|e| e.as_str().to_owned()).collect();
        let keys = search_keys(draft.fields.name.as_str());
        let contact: Vec<String> = phones
            .iter()
            .map(|p| phone_key(p))
            .chain(emails.iter().map(|e| email_key(e)))
            .take(KEYS_PER_QUERY)
            .collect();
        let mut response = holding_any(&self.db, "record::id(id) AS id, doc, team", &contact)
            .await
            .map_err(StoreError::from_db)?;
        #[derive(Deserialize)]
        struct Row {
            id: String,
            doc: String,
            team: Option<String>,
        }
        let mut rows = take_all::<Row>(&mut response, 0)?;
        let mut response = self
            .db
            .query("SELECT record::id(id) AS id, doc, team FROM customer WHERE name = $name AND deleted = false LIMIT $limit")
            .bind(("name", draft.fields.name.as_str().to_owned()))
            .bind(("limit", MAX_GROUP as i64))
            .await
            .map_err(StoreError::from_db)?;
        rows.extend(take_all::<Row>(&mut response, 0)?);
        let mut seen = BTreeSet::new();
        rows.retain(|row| seen.insert(row.id.clone()));
        let mut others = Vec::new();
        for row in rows {
            if row.id == draft.id.to_string() {
                continue;
            }
            match serde_json::from_str::<Customer>(&row.doc) {
                Ok(customer) => {
                    let other_keys = search_keys(customer.fields.name.as_str());
                    others.push((customer, other_keys, row.team));
                }
                Err(error) => tracing::error!(%error, id = row.id, "stored archive does not parse"),
            }
        }
        let found = duplicates(draft, others.iter().map(|(c, _, _)| c), |c| {
            if c.id == draft.id {
                Some(&keys)
            } else {
                others.iter().find(|(o, _, _)| o.id == c.id).map(|(_, k, _)| k)
            }
        });
        let names = self.display_names().await?;
        Ok(found
            .into_iter()
            .filter_map(|candidate| {
                let (other, _, team) = others.iter().find(|(o, _, _)| o.id == candidate.id)?;
                let sight = domain::policy::sight(viewer, crate::sync::placement_of(other, team.as_deref()));
                let keeper =
                    other.fields.owner.as_ref().map(|o| names.get(o).cloned().unwrap_or_else(|| o.0.clone()));
                let customer = (sight != Sight::Hidden)
                    .then(|| (other.id.to_string(), other.fields.name.as_str().to_owned()));
                Some(DuplicateHint {
                    reason: candidate.reasons.into_iter().next()?,
                    score: candidate.score,
                    keeper,
                    customer,
                })
            })
            .collect())
    }

    /// Reads both archives of each candidate pair, keeps those the rules
    /// call likely duplicates and queues them: a new pair opens, an open one
    /// gets its new score, a dismissed or merged one stays as it was.
    async fn confirm_pairs(&self, pairs: BTreeSet<(String, String)>) -> Result<usize, StoreError> {
        let ids: BTreeSet<&String> = pairs.iter().flat_map(|(a, b)| [a, b]).collect();
        let mut archives: HashMap<String, (Customer, SearchKeys)> = HashMap::new();
        let ids: Vec<&String> = ids.into_iter().collect();
        for chunk in ids.chunks(CHUNK) {
            let targets = records(chunk.iter().map(|id| (*id).clone()));
            let mut response = self
                .db
                .query(format!("SELECT record::id(id) AS id, doc FROM {targets}"))
                .await
                .map_err(StoreError::from_db)?;
            for row in take_all::<DocRow>(&mut response, 0)? {
                match serde_json::from_str::<Customer>(&row.doc) {
                    Ok(customer) => {
                        let keys = search_keys(customer.fields.name.as_str());
                        archives.insert(row.id, (customer, keys));
                    }
                    Err(error) => tracing::error!(%error, id = row.id, "stored archive does not parse"),
                }
            }
        }
        let now = crate::now_millis();
        let mut rows = Vec::new();
        for (a, b) in &pairs {
            let (Some((first, first_keys)), Some((second, second_keys))) = (archives.get(a), archives.get(b))
            else {
                continue;
            };
            let keys = |c: &Customer| Some(if c.id == first.id { first_keys } else { second_keys });
            let Some(found) = duplicates(first, [second], keys).into_iter().next() else { continue };
            rows.push(json!({
                "key": format!("{a}_{b}"),
                "row": { "a": a, "b": b, "score": found.score, "status": "open", "found_at": now,
                         "reasons": serde_json::to_string(&found.reasons).unwrap_or_default() },
            }));
        }
        let found = rows.len();
        // In bounded writes: one statement over a sweep's every pair
        // outgrew what the engine takes in one go at 100,000 archives.
        for chunk in rows.chunks(CHUNK) {
            self.db
                .query(
                    "FOR $p IN $pairs {
                        LET $old = (SELECT VALUE status FROM type::record('duplicate_pair', $p.key))[0];
                        IF $old = NONE { CREATE type::record('duplicate_pair', $p.key) CONTENT $p.row; }
                        ELSE IF $old = 'open' {
                            UPDATE type::record('duplicate_pair', $p.key) SET score = $p.row.score, reasons = $p.row.reasons;
                        };
                    };",
                )
                .bind(("pairs", Value::Array(chunk.to_vec())))
                .await
                .and_then(crate::error::explain)
                .map_err(StoreError::from_db)?;
        }
        Ok(found)
    }

    /// Open pairs whose two archives `viewer` sees in full (only those may
    /// be merged), most likely first, at most `limit`. A pair whose archive
    /// was merged or deleted meanwhile is left out.
    pub async fn duplicate_queue(
        &self,
        viewer: &Viewer,
        limit: usize,
    ) -> Result<Vec<DuplicatePairView>, StoreError> {
        let mut response = self
            .db
            .query(
                "SELECT record::id(id) AS key, a, b, score, reasons FROM duplicate_pair
                 WHERE status = 'open' ORDER BY score DESC, key LIMIT 2000",
            )
            .await
            .map_err(StoreError::from_db)?;
        let mut queue = Vec::new();
        for pair in take_all::<PairRow>(&mut response, 0)? {
            if queue.len() >= limit {
                break;
            }
            if let Some(view) = self.pair_for(viewer, pair).await? {
                queue.push(view);
            }
        }
        Ok(queue)
    }

    /// One open pair, if `viewer` sees both archives in full.
    pub async fn duplicate_pair(
        &self,
        viewer: &Viewer,
        key: &str,
    ) -> Result<Option<DuplicatePairView>, StoreError> {
        if !is_pair_key(key) {
            return Ok(None);
        }
        let mut response = self
            .db
            .query(
                "SELECT record::id(id) AS key, a, b, score, reasons FROM type::record('duplicate_pair', $key)
                 WHERE status = 'open'",
            )
            .bind(("key", key.to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        match take_all::<PairRow>(&mut response, 0)?.into_iter().next() {
            Some(pair) => self.pair_for(viewer, pair).await,
            None => Ok(None),
        }
    }

    async fn pair_for(
        &self,
        viewer: &Viewer,
        pair: PairRow,
    ) -> Result<Option<DuplicatePairView>, StoreError> {
        let full = |seen: Option<(Customer, Sight)>| seen.filter(|(_, s)| *s == Sight::Full).map(|(c, _)| c);
        let (Some(a), Some(b)) = (
            full(self.customer_for(viewer, &pair.a).await?),
            full(self.customer_for(viewer, &pair.b).await?),
        ) else {
            return Ok(None);
        };
        let reasons: Vec<DuplicateReason> = serde_json::from_str(&pair.reasons).unwrap_or_default();
        Ok(Some(DuplicatePairView { key: pair.key, score: pair.score.clamp(0, 100) as u8, reasons, a, b }))
    }

    /// Closes an open pair: `merged` (after the merge went through, when
    /// one of its archives is already gone), or `dismissed` ("not a
    /// duplicate", remembered so no sweep opens it again), for which
    /// `viewer` must see both archives in full.
    pub async fn decide_pair(&self, viewer: &Viewer, key: &str, merged: bool) -> Result<(), StoreError> {
        if !is_pair_key(key) || (!merged && self.duplicate_pair(viewer, key).await?.is_none()) {
            return Err(StoreError::NotFound);
        }
        self.db
            .query(
                "UPDATE type::record('duplicate_pair', $key) SET status = $status, decided_by = $by, decided_at = $now",
            )
            .bind(("key", key.to_owned()))
            .bind(("status", if merged { "merged" } else { "dismissed" }))
            .bind(("by", viewer.user.0.clone()))
            .bind(("now", crate::now_millis()))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }
}

/// Archive ids as record ids in query text. Only ids that parse as archive
/// ids (UUIDs: hex and dashes) reach it, so the text is safe.
fn records(ids: impl Iterator<Item = String>) -> String {
    let named: Vec<String> = ids
        .filter(|id| id.parse::<CustomerId>().is_ok())
        .map(|id| format!("type::record('customer', '{id}')"))
        .collect();
    if named.is_empty() { "[]".into() } else { named.join(", ") }
}

/// Whether `key` names a pair as the queue writes them (`<id>_<id>`): only
/// such a key reaches the database as a record id.
fn is_pair_key(key: &str) -> bool {
    key.split_once('_')
        .is_some_and(|(a, b)| a.parse::<CustomerId>().is_ok() && b.parse::<CustomerId>().is_ok())
}

/// An archive's whole phones and emails, as its search keys hold them.
fn contact_keys(row: &KeyRow) -> impl Iterator<Item = String> + '_ {
    row.phones.iter().map(|p| phone_key(p)).chain(row.emails.iter().map(|e| email_key(e)))
}

/// One key a pushed archive is looked up by: a phone or email key, or its
/// whole name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Lookup {
    Contact(String),
    Name(String),
}

impl Lookup {
    fn value(&self) -> &str {
        match self {
            Lookup::Contact(key) | Lookup::Name(key) => key,
        }
    }
}

fn lookups_of(row: &KeyRow) -> impl Iterator<Item = Lookup> + '_ {
    contact_keys(row).map(Lookup::Contact).chain([Lookup::Name(row.name.clone())])
}

/// Lookups sent in one query, one statement each.
const LOOKUPS_PER_QUERY: usize = 200;

/// Keys a draft is looked up by at most (one index branch each): the
/// branches are one chain of ORs, and the engine's parser refuses a chain
/// deeper than 128 operators.
const KEYS_PER_QUERY: usize = 100;

/// `columns` of at most a group's worth of archives holding any of `keys`
/// among their search keys (deleted archives hold none), through the
/// index: one branch per key.
async fn holding_any(
    db: &surrealdb::Surreal<surrealdb::engine::any::Any>,
    columns: &str,
    keys: &[String],
) -> surrealdb::Result<surrealdb::IndexedResults> {
    if keys.is_empty() {
        return db.query("SELECT * FROM []").await;
    }
    let branches: Vec<String> = (0..keys.len()).map(|i| format!("keys CONTAINS $k{i}")).collect();
    let mut query = db.query(format!(
        "SELECT {columns} FROM (SELECT VALUE type::record('customer', record::id(id)) FROM customer_keys
             WHERE {} LIMIT {MAX_GROUP})",
        branches.join(" OR ")
    ));
    for (i, key) in keys.iter().enumerate() {
        query = query.bind((format!("k{i}"), key.clone()));
    }
    query.await
}

fn ordered(a: String, b: String) -> (String, String) {
    if a <= b { (a, b) } else { (b, a) }
}

/// The pairs worth asking the rules about: archives that share a phone, an
/// email, a name, or in one city a name that sounds the same or (long
/// names) is one character apart. Grouping by keys keeps this linear in the archives: a
/// name's "one character apart" keys are itself and itself without each
/// character (two names one edit apart share one of them).
fn candidate_pairs(rows: &[KeyRow]) -> BTreeSet<(usize, usize)> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let mut keys: BTreeSet<String> = BTreeSet::new();
        keys.extend(row.phones.iter().map(|p| format!("p:{p}")));
        keys.extend(row.emails.iter().map(|e| format!("e:{e}")));
        keys.insert(format!("n:{}", row.name));
        if let Some(city) = row.city.as_deref().filter(|c| !c.is_empty()) {
            if !row.pinyin.is_empty() {
                keys.insert(format!("c:{city}|py:{}", row.pinyin));
            }
            let chars: Vec<char> = row.name.chars().collect();
            if chars.len() >= domain::dedup::MIN_CHARS_FOR_SPELLING {
                for skip in 0..chars.len() {
                    let shorter: String =
                        chars.iter().enumerate().filter(|(k, _)| *k != skip).map(|(_, c)| c).collect();
                    keys.insert(format!("c:{city}|n:{shorter}"));
                }
                keys.insert(format!("c:{city}|n:{}", row.name));
            }
        }
        for key in keys {
            groups.entry(key).or_default().push(i);
        }
    }
    let mut pairs = BTreeSet::new();
    for members in groups.values().filter(|m| m.len() >= 2) {
        if members.len() > MAX_GROUP {
            continue;
        }
        for (n, &i) in members.iter().enumerate() {
            for &j in &members[n + 1..] {
                let (a, b) = if rows[i].id <= rows[j].id { (i, j) } else { (j, i) };
                pairs.insert((a, b));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, name: &str, city: Option<&str>, phones: &[&str]) -> KeyRow {
        KeyRow {
            id: id.into(),
            name: name.into(),
            pinyin: search_keys(name).pinyin,
            phones: phones.iter().map(|p| (*p).to_owned()).collect(),
            emails: Vec::new(),
            city: city.map(str::to_owned),
        }
    }

    #[test]
    fn archives_sharing_a_phone_or_a_near_name_in_a_city_are_paired_and_others_not() {
        let rows = [
            row("1", "张三", Some("杭州"), &["+8613812345678"]),
            row("2", "张叁", Some("杭州"), &[]),
            row("3", "李四", None, &["+8613812345678"]),
            row("4", "张三丰", Some("杭州"), &[]),
            row("7", "杭州华为科技", Some("杭州"), &[]),
            row("8", "杭州华为科技园", Some("杭州"), &[]),
            row("5", "王五", Some("宁波"), &[]),
            row("6", "张三", Some("宁波"), &[]),
        ];
        let pairs: BTreeSet<(&str, &str)> = candidate_pairs(&rows)
            .into_iter()
            .map(|(i, j)| (rows[i].id.as_str(), rows[j].id.as_str()))
            .collect();
        // Same phone; same-sounding name in a city; a long name one
        // character longer (a short one is another person); the same name anywhere.
        assert!(pairs.contains(&("1", "3")) && pairs.contains(&("1", "2")) && pairs.contains(&("7", "8")));
        assert!(!pairs.contains(&("1", "4")), "张三 and 张三丰 are two people");
        assert!(pairs.contains(&("1", "6")), "the same name is asked about; the rules decide");
        assert!(!pairs.iter().any(|(a, b)| *a == "5" || *b == "5"), "{pairs:?}");
    }
}
