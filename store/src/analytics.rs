//! Analytics over the archives: the summary every push keeps in an
//! archive's row, a cache of them in this process brought up to date from the
//! version counter before each use, and scoring runs over the cache.
//!
//! Dashboards therefore never aggregate the archive tables: they read the
//! cache, which a refresh moves forward by the summaries written since the
//! last version it saw (the same ordering guarantee pull relies on). Any
//! number of app servers may keep their own cache; all of them agree with
//! the database, and [`Store::recomputed_summaries`] proves it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use domain::analytics::scoring::{Scoring, score_all, score_with};
use domain::analytics::summary::{CustomerSummary, in_dashboard_scope, summarize};
use domain::archive::Customer;
use domain::ids::{CustomerId, UserId};
use domain::policy::Viewer;
use domain::time::Date;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::query::take_all;
use crate::{Store, StoreError};

/// A fitted churn model serves this long before it is fitted again; the
/// scores themselves follow every change.
const REFIT_AFTER_MS: i64 = 5 * 60 * 1000;
/// A refit asked for explicitly happens at most this often per server:
/// each reads every customer of the company, and anyone may press the button.
pub const MIN_REFIT_INTERVAL_MS: i64 = 60 * 1000;

/// The summary written in an archive's row (its `summary` column).
pub(crate) fn summary_text(customer: &Customer, team: Option<&str>) -> String {
    serde_json::to_string(&summarize(customer, team)).unwrap_or_default()
}

/// A finished scoring run.
#[derive(Debug, Clone)]
pub struct ScoringRun {
    /// The scores.
    pub scoring: Scoring,
    /// The data version it scored.
    pub version: u64,
    /// When it finished (Unix milliseconds).
    pub finished_at: i64,
    /// When the churn model it used was fitted.
    pub fitted_at: i64,
    /// How long it took, in milliseconds.
    pub took_ms: u64,
}

/// The summaries this process has seen, up to `version`.
#[derive(Default)]
pub(crate) struct Cache {
    version: u64,
    summaries: HashMap<CustomerId, Arc<CustomerSummary>>,
    scoring: Option<Arc<ScoringRun>>,
}

/// The cache and the lock that lets one scoring run happen at a time.
#[derive(Default)]
pub(crate) struct Analytics {
    cache: tokio::sync::Mutex<Cache>,
    scoring: tokio::sync::Mutex<()>,
}

#[derive(Deserialize)]
struct SummaryRow {
    summary: Option<String>,
    version: i64,
}

#[derive(Deserialize)]
struct ArchiveRow {
    id: String,
    doc: String,
    team: Option<String>,
    summary: Option<String>,
}

/// How many rows a backfill writes per transaction.
const BACKFILL_BATCH: i64 = 500;

impl Store {
    /// Writes the summary of every archive that has none: archives written
    /// before summaries existed, or when they were rows of their own
    /// (migration 24 moved them into the archive's row). Runs at start-up
    /// until it has gone through once. Returns how many it wrote.
    pub async fn backfill_summaries(&self) -> Result<usize, StoreError> {
        let mut response = self
            .db
            .query("SELECT VALUE version FROM setting:summaries")
            .await
            .map_err(StoreError::from_db)?;
        let done: Vec<i64> = take_all(&mut response, 0)?;
        if !done.is_empty() {
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
                    "SELECT record::id(id) AS id, doc, team, summary FROM type::record('customer', $after>..) LIMIT $limit",
                )
                .bind(("after", after.clone()))
                .bind(("limit", BACKFILL_BATCH))
                .await
                .map_err(StoreError::from_db)?;
            let rows: Vec<ArchiveRow> = take_all(&mut response, 0)?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            let mut batch = Vec::new();
            for row in rows.iter().filter(|row| row.summary.is_none()) {
                let customer = parse_archive(row)?;
                batch.push(json!({ "key": row.id, "summary": summary_text(&customer, row.team.as_deref()) }));
            }
            if batch.is_empty() {
                continue;
            }
            written += batch.len();
            // Only where none is: a push racing the backfill wrote a newer one.
            self.db
                .query(
                    "BEGIN TRANSACTION;
                     FOR $r IN $rows { UPDATE type::record('customer', $r.key) SET summary = $r.summary WHERE summary = NONE; };
                     COMMIT TRANSACTION;",
                )
                .bind(("rows", Value::Array(batch)))
                .await
                .and_then(crate::error::explain)
                .map_err(StoreError::from_db)?;
        }
        self.db
            .query("UPSERT setting:summaries CONTENT { doc: '', version: 1 }")
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        if written > 0 {
            tracing::info!(archives = written, "analytics summaries written for older archives");
        }
        Ok(written)
    }

    /// Every summary, brought up to date first; with the version they reflect.
    pub async fn summaries(&self) -> Result<(u64, Vec<Arc<CustomerSummary>>), StoreError> {
        let mut cache = self.analytics.cache.lock().await;
        self.refresh(&mut cache).await?;
        Ok((cache.version, cache.summaries.values().cloned().collect()))
    }

    /// The summaries `viewer`'s dashboards count (see [`in_dashboard_scope`]).
    pub async fn dashboard_summaries(
        &self,
        viewer: &Viewer,
    ) -> Result<Vec<Arc<CustomerSummary>>, StoreError> {
        let (_, all) = self.summaries().await?;
        Ok(all.into_iter().filter(|s| in_dashboard_scope(viewer, s)).collect())
    }

    /// Moves the cache forward by the summaries written since it last looked.
    async fn refresh(&self, cache: &mut Cache) -> Result<(), StoreError> {
        loop {
            let mut response = self
                .db
                .query("SELECT summary, version FROM customer WHERE version > $since ORDER BY version LIMIT 5000")
                .bind(("since", cache.version as i64))
                .await
                .map_err(StoreError::from_db)?;
            let rows: Vec<SummaryRow> = take_all(&mut response, 0)?;
            let done = rows.len() < 5000;
            for row in rows {
                cache.version = cache.version.max(row.version as u64);
                // None only before the start-up backfill has written it.
                let Some(text) = row.summary else { continue };
                let summary: CustomerSummary = serde_json::from_str(&text).map_err(|error| {
                    tracing::error!(%error, "a stored summary does not parse");
                    StoreError::Other
                })?;
                cache.summaries.insert(summary.id, Arc::new(summary));
            }
            if done {
                return Ok(());
            }
        }
    }

    /// A scoring run over every archive as of `today`, RFM over `window_days`.
    /// Reused while nothing changed; after a change the customers are scored
    /// again with the model fitted in the last five minutes, if there is one;
    /// `fresh` fits the model again.
    pub async fn scoring(
        &self,
        today: Date,
        window_days: i64,
        fresh: bool,
    ) -> Result<Arc<ScoringRun>, StoreError> {
        Ok(self.scoring_over(today, window_days, fresh).await?.1)
    }

    /// The summaries `viewer`'s dashboards count with the scoring run they
    /// were scored by, from one refresh of the cache (see [`Store::scoring`]).
    pub async fn scored_for(
        &self,
        viewer: &Viewer,
        today: Date,
        window_days: i64,
        fresh: bool,
    ) -> Result<(Vec<Arc<CustomerSummary>>, Arc<ScoringRun>), StoreError> {
        let (all, run) = self.scoring_over(today, window_days, fresh).await?;
        Ok((all.into_iter().filter(|s| in_dashboard_scope(viewer, s)).collect(), run))
    }

    /// Every summary, brought up to date, and the scoring run over them.
    async fn scoring_over(
        &self,
        today: Date,
        window_days: i64,
        fresh: bool,
    ) -> Result<(Vec<Arc<CustomerSummary>>, Arc<ScoringRun>), StoreError> {
        let _one_at_a_time = self.analytics.scoring.lock().await;
        let (version, summaries, previous) = {
            let mut cache = self.analytics.cache.lock().await;
            self.refresh(&mut cache).await?;
            (cache.version, cache.summaries.values().cloned().collect::<Vec<_>>(), cache.scoring.clone())
        };
        let today = today.days_since_epoch();
        let previous = previous.filter(|run| run.scoring.today == today);
        let fresh = fresh
            && previous
                .as_ref()
                .is_none_or(|run| crate::now_millis() - run.fitted_at >= MIN_REFIT_INTERVAL_MS);
        if let Some(run) = previous
            .as_ref()
            .filter(|run| !fresh && run.version == version && run.scoring.window.days == window_days)
        {
            return Ok((summaries, run.clone()));
        }
        let reusable = previous.filter(|run| !fresh && crate::now_millis() - run.fitted_at < REFIT_AFTER_MS);
        let fit = reusable.and_then(|run| Some((run.scoring.fit.clone().ok()?, run.fitted_at)));
        let summaries = Arc::new(summaries);
        let scored = summaries.clone();
        let run = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let refs: Vec<&CustomerSummary> = scored.iter().map(|s| s.as_ref()).collect();
            let (scoring, fitted_at) = match fit {
                Some((fit, fitted_at)) => (score_with(&refs, today, window_days, Ok(fit)), fitted_at),
                None => (score_all(&refs, today, window_days), crate::now_millis()),
            };
            let took_ms = started.elapsed().as_millis() as u64;
            ScoringRun { scoring, version, finished_at: crate::now_millis(), fitted_at, took_ms }
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "the scoring run failed");
            StoreError::Other
        })?;
        tracing::info!(customers = run.scoring.scores.len(), took_ms = run.took_ms, version, "scoring run");
        let run = Arc::new(run);
        self.analytics.cache.lock().await.scoring = Some(run.clone());
        Ok((Arc::unwrap_or_clone(summaries), run))
    }

    /// Every summary computed afresh from the archives themselves: what the
    /// cache must equal.
    pub async fn recomputed_summaries(&self) -> Result<Vec<CustomerSummary>, StoreError> {
        let mut response = self
            .db
            .query("SELECT record::id(id) AS id, doc, team FROM customer")
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<ArchiveRow> = take_all(&mut response, 0)?;
        rows.iter().map(|row| Ok(summarize(&parse_archive(row)?, row.team.as_deref()))).collect()
    }

    /// Display names by user id, for dashboards.
    pub async fn display_names(&self) -> Result<HashMap<UserId, String>, StoreError> {
        Ok(self.list_users().await?.into_iter().map(|u| (u.id, u.display_name)).collect())
    }

    /// The display names of `users` that exist (an unknown one reads as a
    /// row without an id), each read by its key: a pull names a few people,
    /// and reading every user for them was a large part of a busy server's
    /// work.
    pub async fn names_of(
        &self,
        users: impl IntoIterator<Item = &UserId>,
    ) -> Result<HashMap<UserId, String>, StoreError> {
        #[derive(serde::Deserialize)]
        struct NameRow {
            id: String,
            display_name: String,
        }
        let ids: Vec<String> = users.into_iter().map(|u| u.0.clone()).collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut response = self
            .db
            .query("SELECT record::id(id) AS id, display_name FROM array::map($ids, |$i| type::record('user', $i)) WHERE id != NONE")
            .bind(("ids", ids))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<NameRow> = take_all(&mut response, 0)?;
        Ok(rows.into_iter().map(|r| (UserId(r.id), r.display_name)).collect())
    }
}

fn parse_archive(row: &ArchiveRow) -> Result<Customer, StoreError> {
    serde_json::from_str(&row.doc).map_err(|error| {
        tracing::error!(%error, customer = %row.id, "stored archive does not parse");
        StoreError::Other
    })
}

#[cfg(test)]
mod tests {
    use domain::archive::Fields;
    use domain::ids::{CustomerId, UserId};
    use domain::mutation::Sequencer;
    use domain::policy::{Role, Viewer};
    use domain::time::Timestamp;
    use domain::{Change, CustomerName};

    use super::*;

    #[tokio::test]
    async fn archives_written_before_summaries_existed_get_one_at_start() {
        let (store, _) = Store::open("mem://", None).await.unwrap();
        let admin = Viewer { user: UserId("root".into()), role: Role::Admin, team: None };
        let mut client = Sequencer::new(admin.user.clone());
        let mut fields = Fields::named(CustomerName::parse("孙八").unwrap());
        fields.owner = None;
        let id = CustomerId::new();
        let create =
            client.next(id, Change::Create { fields: Box::new(fields) }, Timestamp(1_700_000_000_000));
        store.push(&admin, client.client, &[create], crate::today()).await.unwrap();
        // As a database from before summaries moved into the archive's row would be.
        store.db.query("UPDATE customer SET summary = NONE; DELETE setting:summaries").await.unwrap();

        assert_eq!(store.backfill_summaries().await.unwrap(), 1);
        assert_eq!(store.backfill_summaries().await.unwrap(), 0);
        let (_, cached) = store.summaries().await.unwrap();
        let fresh = store.recomputed_summaries().await.unwrap();
        assert_eq!(cached.len(), 1);
        assert_eq!(*cached[0], fresh[0]);
        assert_eq!(cached[0].id, id);
    }
}
