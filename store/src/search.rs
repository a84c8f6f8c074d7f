//! Search keys: keeping them on every archive, and choosing which to read
//! a search through (the keys themselves are in `domain::search`).

use domain::search::{KEYS_VERSION, Route, Searchable, index_keys};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::query::take_all;
use crate::{Store, StoreError};

/// Archives read and rewritten per transaction when keys are rebuilt.
const REBUILD_BATCH: i64 = 1000;

/// Above this many candidate archives, reading archives newest first and
/// checking each is quicker than reading the candidates and sorting them:
/// so many matches fill a page within the first few thousand archives
/// (measured by `search-bench`).
const MOST_CANDIDATES: u64 = 4000;

#[derive(Deserialize)]
struct KeyedRow {
    id: String,
    version: i64,
    name: String,
    pinyin: String,
    initials: String,
    phones: Vec<String>,
    emails: Vec<String>,
    deleted: bool,
}

impl Store {
    /// Gives every archive the search keys of the current [`KEYS_VERSION`]
    /// (a database from before keys, or from an older way of cutting them).
    /// Runs at start-up, before the server answers searches; a push racing
    /// it writes its own keys, which this leaves alone. Returns how many
    /// archives were given keys.
    pub async fn rebuild_search_keys(&self) -> Result<usize, StoreError> {
        let mut response = self
            .db
            .query("SELECT VALUE version FROM setting:search_keys")
            .await
            .map_err(StoreError::from_db)?;
        let stored: Vec<i64> = take_all(&mut response, 0)?;
        if stored.first().is_some_and(|v| *v >= i64::from(KEYS_VERSION)) {
            return Ok(0);
        }
        let mut written = 0;
        let mut after = String::new();
        loop {
            let mut response = self
                .db
                .query(
                    "SELECT record::id(id) AS id, version, name, pinyin, initials, phones, emails, deleted
                     FROM customer WHERE record::id(id) > $after ORDER BY id LIMIT $limit",
                )
                .bind(("after", after.clone()))
                .bind(("limit", REBUILD_BATCH))
                .await
                .map_err(StoreError::from_db)?;
            let rows: Vec<KeyedRow> = take_all(&mut response, 0)?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            let batch: Vec<Value> = rows
                .iter()
                .map(|row| {
                    let keys = if row.deleted {
                        Vec::new()
                    } else {
                        index_keys(Searchable {
                            name: &row.name,
                            pinyin: &row.pinyin,
                            initials: &row.initials,
                            phones: &row.phones,
                            emails: &row.emails,
                        })
                    };
                    json!({ "key": row.id, "version": row.version, "keys": keys })
                })
                .collect();
            self.db
                .query(
                    "BEGIN TRANSACTION;
                     FOR $r IN $rows {
                         UPDATE type::record('customer', $r.key) SET search_keys = $r.keys WHERE version = $r.version;
                     };
                     COMMIT TRANSACTION;",
                )
                .bind(("rows", Value::Array(batch)))
                .await
                .and_then(crate::error::explain)
                .map_err(StoreError::from_db)?;
            written += rows.len();
        }
        self.db
            .query("UPSERT setting:search_keys CONTENT { doc: '', version: $version }")
            .bind(("version", i64::from(KEYS_VERSION)))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        if written > 0 {
            tracing::info!(archives = written, "search keys rebuilt");
        }
        Ok(written)
    }

    /// The keys to read a search's candidates through: for each way it can
    /// match, the key the fewest archives hold by [`KeyFrequencies`]. `None`
    /// when some way cannot be narrowed, or the candidates would be so many
    /// that reading archives newest first is quicker.
    pub(crate) async fn narrowing_keys(&self, routes: &[Route]) -> Result<Option<Vec<String>>, StoreError> {
        if routes.iter().any(|r| r.keys.is_empty()) {
            return Ok(None);
        }
        let frequencies = self.key_frequencies().await?;
        let mut chosen = Vec::new();
        let mut candidates = 0;
        for route in routes {
            // The last of equally rare keys: for digits, the end of a number
            // varies most.
            let Some((key, count)) =
                route.keys.iter().map(|k| (k, frequencies.estimate(k))).rev().min_by_key(|(_, c)| *c)
            else {
                return Ok(None);
            };
            candidates += count;
            chosen.push(key.clone());
        }
        chosen.sort();
        chosen.dedup();
        Ok((candidates <= MOST_CANDIDATES).then_some(chosen))
    }

    /// This process's [`KeyFrequencies`], taken again when they are old.
    async fn key_frequencies(&self) -> Result<std::sync::Arc<KeyFrequencies>, StoreError> {
        let mut held = self.key_frequencies.lock().await;
        if let Some(frequencies) = held.as_ref().filter(|f| f.taken.elapsed() < FREQUENCIES_LIFETIME) {
            return Ok(frequencies.clone());
        }
        let mut response = self
            .db
            .query(
                "SELECT count() FROM customer WHERE deleted = false GROUP ALL;
                 SELECT VALUE search_keys FROM customer LIMIT $half;
                 SELECT VALUE search_keys FROM customer ORDER BY version DESC LIMIT $half;",
            )
            .bind(("half", SAMPLE / 2))
            .await
            .map_err(StoreError::from_db)?;
        #[derive(Deserialize)]
        struct Count {
            count: u64,
        }
        let total = take_all::<Count>(&mut response, 0)?.first().map_or(0, |c| c.count);
        let mut sample: Vec<Option<Vec<String>>> = take_all(&mut response, 1)?;
        sample.extend(take_all::<Option<Vec<String>>>(&mut response, 2)?);
        let frequencies = std::sync::Arc::new(KeyFrequencies::of(total, sample.into_iter().flatten()));
        *held = Some(frequencies.clone());
        Ok(frequencies)
    }
}

/// Archives whose keys are counted to estimate how common each key is.
const SAMPLE: i64 = 2000;
/// How long an estimate is used before a new sample is taken.
const FREQUENCIES_LIFETIME: std::time::Duration = std::time::Duration::from_secs(600);

/// How common each search key is, estimated from a sample of archives (the
/// oldest and the newest), so choosing the key to read a search through
/// costs no query. Only the choice rests on it: a stale estimate makes a
/// search slower, never wrong.
pub(crate) struct KeyFrequencies {
    total: u64,
    sampled: u64,
    counts: std::collections::HashMap<String, u32>,
    taken: std::time::Instant,
}

impl KeyFrequencies {
    fn of(total: u64, sample: impl Iterator<Item = Vec<String>>) -> Self {
        let mut counts = std::collections::HashMap::new();
        let mut sampled = 0;
        for keys in sample {
            sampled += 1;
            for key in keys {
                *counts.entry(key).or_insert(0) += 1;
            }
        }
        Self { total, sampled, counts, taken: std::time::Instant::now() }
    }

    /// About how many archives hold `key`; a key the sample never met counts as none.
    fn estimate(&self, key: &str) -> u64 {
        let seen = u64::from(self.counts.get(key).copied().unwrap_or(0));
        if self.sampled == 0 { 0 } else { seen * self.total.max(self.sampled) / self.sampled }
    }
}

#[cfg(test)]
mod tests {
    use domain::policy::{Role, Viewer};
    use domain::views::CustomerQuery;

    #[tokio::test]
    async fn archives_stored_before_keys_are_given_them_once_at_start() {
        let store = crate::Store::connect("mem://", None).await.unwrap();
        store.migrate_to(8).await.unwrap();
        store
            .db
            .query(
                "CREATE customer:one SET doc = '{}', version = 1, shared_with = [], deleted = false,
                     conflicted = false, name = '赵六', pinyin = 'zhaoliu', initials = 'zl',
                     phones = ['+8613611112222'], emails = [], stage = 'lead',
                     category = 'regular', created_at = 0, updated_at = 0",
            )
            .await
            .and_then(crate::error::explain)
            .unwrap();
        store.migrate().await.unwrap();
        let admin = Viewer { user: domain::ids::UserId("root".into()), role: Role::Admin, team: None };
        let search = |text: &str| CustomerQuery { text: Some(text.into()), ..Default::default() };
        assert!(store.list_customers(&admin, &search("赵六")).await.unwrap().is_empty(), "no keys yet");

        assert_eq!(store.rebuild_search_keys().await.unwrap(), 1);
        for text in ["赵六", "zl", "liu", "1111"] {
            let found = store.list_customers(&admin, &search(text)).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["one"], "{text}");
        }
        assert_eq!(store.rebuild_search_keys().await.unwrap(), 0, "done once");
    }
}
