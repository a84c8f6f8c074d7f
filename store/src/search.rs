//! Search keys: keeping them on every archive, and choosing which to read
//! a search through (the keys themselves are in `domain::search`).

use domain::search::{KEYS_VERSION, Route, Searchable, index_keys, is_paged, paged_keys};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::query::take_all;
use crate::{Store, StoreError};

/// Archives read and rewritten per transaction when keys are rebuilt.
const REBUILD_BATCH: i64 = 1000;

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
                // Pages by key range from the last id: a filter on the id instead read
                // the table from its start for every page (minutes at 100,000 archives).
                .query(
                    "SELECT record::id(id) AS id, version, name, pinyin, initials, phones, emails, deleted
                     FROM type::record('customer', $after>..) LIMIT $limit",
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
                    let paged = paged_keys(&keys);
                    json!({ "key": row.id, "version": row.version, "keys": keys, "paged": paged })
                })
                .collect();
            self.db
                .query(
                    "BEGIN TRANSACTION;
                     FOR $r IN $rows {
                         LET $kept = UPDATE type::record('customer', $r.key) SET paged_keys = $r.paged
                             WHERE version = $r.version;
                         IF $kept { UPSERT type::record('customer_keys', $r.key) SET keys = $r.keys; };
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

    /// How to read a search's candidates: through the keys (for each way it
    /// can match, the key the fewest archives hold by [`KeyFrequencies`]),
    /// or newest first when some way cannot be narrowed, or when that read
    /// would fill a page of `limit` sooner: a common text (a surname)
    /// matches so often that a page fills within the first archives read,
    /// while a rare one (a whole name in pinyin, whose every piece is
    /// common) would have that read go through the whole archive.
    pub(crate) async fn plan_read(&self, routes: &[Route], limit: u32) -> Result<Read, StoreError> {
        // No telling how often it matches: a small window first, grown as needed.
        let unknown = Read::NewestFirst { about: u64::from(limit) };
        if routes.iter().any(|r| r.keys.is_empty()) {
            return Ok(unknown);
        }
        let frequencies = self.key_frequencies().await?;
        Ok(choose_read(&frequencies, routes, limit).unwrap_or(unknown))
    }

    /// This process's [`KeyFrequencies`]. Old ones of a large archive are
    /// still answered while new ones are taken beside (once at a time), so
    /// no search waits for the sample; those of a small one (at start, in a
    /// new company) are taken again at once: cheap then, and worthless if
    /// it has grown since.
    pub(crate) async fn key_frequencies(&self) -> Result<std::sync::Arc<KeyFrequencies>, StoreError> {
        let held = self.key_frequencies.lock().await.clone();
        match held {
            Some(fresh) if std::time::Instant::now() < fresh.fresh_until => Ok(fresh),
            Some(old) if old.total >= SAMPLE as u64 => {
                if !old.renewing.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    let (store, renewed) = (self.clone(), old.clone());
                    tokio::spawn(async move {
                        if let Err(error) = store.sample_frequencies().await {
                            tracing::warn!(%error, "search keys' frequencies could not be taken");
                            renewed.renewing.store(false, std::sync::atomic::Ordering::Relaxed);
                        }
                    });
                }
                Ok(old)
            }
            _ => self.sample_frequencies().await,
        }
    }

    /// Takes a new sample for [`Store::key_frequencies`] and keeps it.
    async fn sample_frequencies(&self) -> Result<std::sync::Arc<KeyFrequencies>, StoreError> {
        let mut response = self
            .db
            // Counted without reading a record (deleted ones too: an
            // estimate), the newest read forward from a version below the
            // counter: a filtered count and a backward read each went
            // through every archive, two seconds at 100,000.
            .query(
                "SELECT count() FROM customer GROUP ALL;
                 SELECT VALUE keys FROM customer_keys LIMIT $half;
                 LET $top = (SELECT VALUE current FROM counter:sync)[0] ?? 0;
                 LET $newest = SELECT VALUE type::record('customer_keys', record::id(id)) FROM customer
                     WHERE version > $top - $span LIMIT $half;
                 SELECT VALUE keys FROM $newest;",
            )
            .bind(("half", SAMPLE / 2))
            .bind(("span", SAMPLE * 2))
            .await
            .map_err(StoreError::from_db)?;
        #[derive(Deserialize)]
        struct Count {
            count: u64,
        }
        let total = take_all::<Count>(&mut response, 0)?.first().map_or(0, |c| c.count);
        let mut sample: Vec<Option<Vec<String>>> = take_all(&mut response, 1)?;
        sample.extend(take_all::<Option<Vec<String>>>(&mut response, 4)?);
        let frequencies = std::sync::Arc::new(KeyFrequencies::of(total, sample.into_iter().flatten()));
        *self.key_frequencies.lock().await = Some(frequencies.clone());
        Ok(frequencies)
    }
}

/// The cheaper read of a search by `routes` for a page of `limit`, as
/// [`Store::plan_read`] says; None when some route has no key.
fn choose_read(frequencies: &KeyFrequencies, routes: &[Route], limit: u32) -> Option<Read> {
    let mut chosen = Vec::new();
    let mut matches = 0;
    for route in routes {
        // The last of equally rare keys: for digits, the end of a number
        // varies most.
        let Some((key, count)) =
            route.keys.iter().map(|k| (k, frequencies.estimate(k))).rev().min_by_key(|(_, c)| *c)
        else {
            return None;
        };
        matches += frequencies.estimate_all(&route.keys);
        chosen.push((key.clone(), count));
    }
    let newest_first = frequencies.reads_to_fill(limit, matches);
    // A key many share (a name's character, a pair of initials) held by
    // more archives than two pages is read newest first in slices, as far
    // as the first slice goes; other keys, and rare ones, whole.
    let sliced = |key: &str, count: u64| is_paged(key) && count > 2 * u64::from(limit);
    let candidates: u64 = chosen
        .iter()
        .map(|(key, count)| match sliced(key, *count) {
            true => frequencies.within(*count, first_slice(newest_first, limit)),
            false => *count,
        })
        .sum();
    let (slices, whole): (Vec<_>, Vec<_>) = chosen.into_iter().partition(|(key, count)| sliced(key, *count));
    let keys = |chosen: Vec<(String, u64)>| {
        let mut keys: Vec<String> = chosen.into_iter().map(|(key, _)| key).collect();
        keys.sort();
        keys.dedup();
        keys
    };
    Some(if candidates <= newest_first {
        Read::Keys { whole: keys(whole), sliced: keys(slices), about: newest_first }
    } else {
        Read::NewestFirst { about: newest_first }
    })
}

/// How many of the latest versions a newest-first read spans first, when
/// a page of `limit` is expected within about `about`: half as much again,
/// so that an estimate a little short still fills the page in one read.
/// (Twice as much read a third more archives, and the common texts of the
/// search benchmark filled their page in one read either way.)
pub(crate) fn first_slice(about: u64, limit: u32) -> u64 {
    (about.saturating_mul(3) / 2).max(2 * u64::from(limit))
}

/// How a search reads its candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Read {
    /// Only the archives holding one of these keys, through their index;
    /// a page of them is expected within about this many latest archives.
    Keys {
        /// Keys whose every holder is read.
        whole: Vec<String>,
        /// Keys many share ([`domain::search::is_paged`]) read newest first
        /// in slices of versions, as far as the page needs.
        sliced: Vec<String>,
        /// The estimate.
        about: u64,
    },
    /// Newest first, about this many archives read before the page is full.
    NewestFirst {
        /// The estimate.
        about: u64,
    },
}

/// Archives whose keys are counted to estimate how common each key is.
const SAMPLE: i64 = 2000;
/// How long an estimate is used before a new sample is taken.
const FREQUENCIES_LIFETIME: std::time::Duration = std::time::Duration::from_secs(600);
/// How long an estimate of an archive smaller than a sample is used.
const SMALL_FREQUENCIES_LIFETIME: std::time::Duration = std::time::Duration::from_secs(10);

/// How common each search key is, estimated from a sample of archives (the
/// oldest and the newest), so choosing the key to read a search through
/// costs no query. Only the choice rests on it: a stale estimate makes a
/// search slower, never wrong.
pub(crate) struct KeyFrequencies {
    total: u64,
    sampled: u64,
    counts: std::collections::HashMap<String, u32>,
    /// Each sampled archive's keys, sorted: how many hold several keys at
    /// once is what says how rare a text is.
    archives: Vec<Vec<String>>,
    /// Answered without a new sample until then.
    fresh_until: std::time::Instant,
    /// A newer sample is being taken.
    renewing: std::sync::atomic::AtomicBool,
}

impl KeyFrequencies {
    fn of(total: u64, sample: impl Iterator<Item = Vec<String>>) -> Self {
        let mut counts = std::collections::HashMap::new();
        let mut archives = Vec::new();
        for mut keys in sample {
            for key in &keys {
                *counts.entry(key.clone()).or_insert(0) += 1;
            }
            keys.sort();
            archives.push(keys);
        }
        let sampled = archives.len() as u64;
        let lifetime = if total < SAMPLE as u64 { SMALL_FREQUENCIES_LIFETIME } else { FREQUENCIES_LIFETIME };
        let fresh_until = std::time::Instant::now() + lifetime;
        Self { total, sampled, counts, archives, fresh_until, renewing: Default::default() }
    }

    /// Scales a count in the sample to the whole archive.
    fn scaled(&self, seen: u64) -> u64 {
        if self.sampled == 0 { 0 } else { seen * self.total.max(self.sampled) / self.sampled }
    }

    /// About how many archives hold `key`; a key the sample never met counts as none.
    fn estimate(&self, key: &str) -> u64 {
        self.scaled(u64::from(self.counts.get(key).copied().unwrap_or(0)))
    }

    /// About how many archives hold every one of `keys`: at most as many
    /// as match a text whose way of matching needs them.
    fn estimate_all(&self, keys: &[String]) -> u64 {
        let seen = self.archives.iter().filter(|held| keys.iter().all(|k| held.binary_search(k).is_ok()));
        self.scaled(seen.count() as u64)
    }

    /// About how many of `count` archives holding a key are among the
    /// latest `read`, the key spread evenly over the archive.
    fn within(&self, count: u64, read: u64) -> u64 {
        let total = self.total.max(self.sampled).max(1);
        count.saturating_mul(read.min(total)) / total
    }

    /// About how many archives a read newest first goes through before it
    /// has `limit` of `matches` spread among all: all of them when the
    /// sample met none.
    fn reads_to_fill(&self, limit: u32, matches: u64) -> u64 {
        let total = self.total.max(self.sampled);
        if matches == 0 { total } else { (u64::from(limit) * total / matches).min(total) }
    }
}

#[cfg(test)]
mod tests {
    use domain::policy::{Role, Viewer};
    use domain::views::CustomerQuery;

    #[test]
    fn a_rare_text_of_common_pieces_is_read_through_its_keys_and_a_common_one_newest_first() {
        // Of 100 sampled archives, half hold "a", half "b", and one both.
        let sample = (0..100).map(|i: u32| {
            let mut keys = Vec::new();
            if i < 50 {
                keys.push("a".to_owned());
            }
            if (49..99).contains(&i) {
                keys.push("b".to_owned());
            }
            keys
        });
        let frequencies = super::KeyFrequencies::of(10_000, sample);
        assert_eq!(frequencies.estimate("a"), 5_000);
        let both = frequencies.estimate_all(&["a".to_owned(), "b".to_owned()]);
        assert_eq!(both, 100);
        // A page of 100 among 100 matches: reading newest first goes through all.
        assert_eq!(frequencies.reads_to_fill(100, both), 10_000);
        assert!(frequencies.estimate("a") < frequencies.reads_to_fill(100, both), "so the keys are read");
        // Among 5,000 matches a page fills within the first 200 read.
        assert_eq!(frequencies.reads_to_fill(100, frequencies.estimate("a")), 200);
        assert_eq!(frequencies.reads_to_fill(100, 0), 10_000, "none met in the sample: all");
    }

    #[test]
    fn common_initials_and_surnames_are_read_through_their_keys_in_slices_and_as_common_pinyin_newest_first()
    {
        use domain::search::{Part, Route};

        use super::{Read, choose_read};
        // Of 100 sampled among 10,000 archives, 34 hold "in:zw" and 33 "py:zh".
        let sample = (0..100).map(|i: u32| match i % 3 {
            0 => vec!["in:zw".to_owned()],
            1 => vec!["py:zh".to_owned()],
            _ => vec![],
        });
        let frequencies = super::KeyFrequencies::of(10_000, sample);
        let route = |part, key: &str| Route { part, keys: vec![key.to_owned()] };
        // A page of 100 among 3,400 is within the newest 294; the first
        // slice spans half as many again, where 149 hold the pair.
        assert_eq!(super::first_slice(294, 100), 441);
        assert_eq!(frequencies.within(3_400, 441), 149);
        let initials = choose_read(&frequencies, &[route(Part::Initials, "in:zw")], 100);
        assert_eq!(initials, Some(Read::Keys { whole: vec![], sliced: vec!["in:zw".into()], about: 294 }));
        // The same read through pinyin's key would fetch all 3,300 holders.
        let pinyin = choose_read(&frequencies, &[route(Part::Pinyin, "py:zh")], 100);
        assert_eq!(pinyin, Some(Read::NewestFirst { about: 303 }));
        // Initials a page would hold in full are read whole, with no slices.
        let rare = choose_read(&frequencies, &[route(Part::Initials, "in:zw")], 2_000);
        assert_eq!(rare, Some(Read::Keys { whole: vec!["in:zw".into()], sliced: vec![], about: 5_882 }));
        // A surname is a name's character: sliced as a pair is.
        let sample = (0..100).map(|i: u32| if i % 3 == 0 { vec!["n1:王".to_owned()] } else { vec![] });
        let surnames = super::KeyFrequencies::of(10_000, sample);
        let surname = choose_read(&surnames, &[route(Part::Name, "n1:王")], 100);
        assert_eq!(surname, Some(Read::Keys { whole: vec![], sliced: vec!["n1:王".into()], about: 294 }));
        let unnarrowed = Route { part: Part::Pinyin, keys: vec![] };
        assert_eq!(choose_read(&frequencies, &[route(Part::Initials, "in:zw"), unnarrowed], 100), None);
    }

    #[tokio::test]
    async fn old_frequencies_are_answered_at_once_while_new_ones_are_taken_beside() {
        let store = crate::Store::connect("mem://", None).await.unwrap();
        store.migrate().await.unwrap();
        assert_eq!(store.key_frequencies().await.unwrap().total, 0);
        store
            .db
            .query(
                "CREATE customer:one SET doc = '{}', version = 1, shared_with = [], deleted = false,
                     conflicted = false, name = '赵六', pinyin = 'zhaoliu', initials = 'zl', phones = [],
                     emails = [], stage = 'lead', category = 'regular', created_at = 0, updated_at = 0;
                 CREATE customer_keys:one SET keys = ['n1:赵', 'n1:六'];",
            )
            .await
            .and_then(crate::error::explain)
            .unwrap();
        assert_eq!(store.key_frequencies().await.unwrap().total, 0, "fresh: not taken again");

        // An estimate of a large archive, grown old.
        let mut old = super::KeyFrequencies::of(100_000, (0..super::SAMPLE).map(|_| Vec::new()));
        old.fresh_until = std::time::Instant::now();
        let old = std::sync::Arc::new(old);
        *store.key_frequencies.lock().await = Some(old.clone());
        let answered = store.key_frequencies().await.unwrap();
        assert!(std::sync::Arc::ptr_eq(&answered, &old), "the old estimate, without waiting");
        for _ in 0..200 {
            if store.key_frequencies().await.unwrap().total == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let renewed = store.key_frequencies().await.unwrap();
        assert_eq!(renewed.total, 1, "taken beside and kept");
        assert!(renewed.estimate("n1:赵") > 0 && renewed.estimate("n1:王") == 0);
    }

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
                     category = 'regular', created_at = 0, updated_at = 0;
                 UPDATE counter:sync SET current = 1;",
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
