//! Pools in the database: their rules (one setting record, brought to
//! devices by the pull after a change), what a claim is checked against
//! (today's claims, archives held, past losses, read from `pool_move`), and
//! the recycle run, which sends due archives back through the push path as
//! the system's own mutations.

use std::collections::HashMap;

use domain::Change;
use domain::archive::Customer;
use domain::ids::{ClientId, CustomerId, UserId};
use domain::mutation::Sequencer;
use domain::policy::{self, Role, Viewer};
use domain::pool::{ClaimFacts, PoolRules, PoolSettings, Recycle, recycle_date};
use domain::time::{Date, Timestamp};
use serde::{Deserialize, Serialize};

use crate::custom_fields::{SettingChange, SettingRow};
use crate::legacy::SYSTEM_USER;
use crate::query::{take_all, take_one};
use crate::{Store, StoreError};

/// The statement that reads the pool rules, for queries that read them with
/// other things in one round trip.
pub(crate) const READ_POOL_SETTINGS: &str = "SELECT doc, version FROM setting:pools";

impl SettingRow {
    pub(crate) fn pool_settings(&self) -> Result<PoolSettings, StoreError> {
        let mut settings: PoolSettings = serde_json::from_str(&self.doc).map_err(|error| {
            tracing::error!(%error, "stored pool rules do not parse");
            StoreError::Other
        })?;
        settings.version = self.version as u64;
        Ok(settings)
    }
}

/// What the store knows of one rep's claims and holdings, for the claims
/// of one push group; kept up to date as the group's claims are planned.
#[derive(Debug, Clone, Default)]
pub(crate) struct Holdings {
    /// Claims made today.
    pub claims_today: u32,
    /// Archives kept now, per category (wire name).
    pub held: HashMap<String, u32>,
    /// The last day they released or lost each archive the group claims.
    pub lost: HashMap<CustomerId, Date>,
}

impl Holdings {
    /// The facts for claiming `customer` under `rules`.
    pub(crate) fn facts(&self, rules: &PoolRules, customer: &Customer) -> ClaimFacts {
        let held = self
            .held
            .iter()
            .filter(|(category, _)| domain::pool::counts_toward_hold(rules, category))
            .map(|(_, n)| *n)
            .sum();
        ClaimFacts { claims_today: self.claims_today, held, last_lost: self.lost.get(&customer.id).copied() }
    }

    /// Notes a claim of `customer` that took effect.
    pub(crate) fn claimed(&mut self, customer: &Customer) {
        self.claims_today += 1;
        self.took(customer);
    }

    /// Notes that they keep `customer` now.
    pub(crate) fn took(&mut self, customer: &Customer) {
        *self.held.entry(domain::archive::wire_name(&customer.fields.category)).or_default() += 1;
    }
}

#[derive(Deserialize)]
struct CountRow {
    user: String,
    count: i64,
}

#[derive(Deserialize)]
struct HeldRow {
    owner: String,
    category: String,
    count: i64,
}

#[derive(Deserialize)]
struct LostRow {
    user: String,
    customer: String,
    day: String,
}

/// One archive the recycle run would send back (or warns about).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecycleCandidate {
    /// The archive.
    pub customer: CustomerId,
    /// Its name.
    pub name: String,
    /// Its keeper.
    pub keeper: UserId,
    /// The pool it goes to (none: the company's).
    pub pool: Option<String>,
    /// When, and by which rule.
    pub recycle: Recycle,
}

/// What a recycle run found and did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecycleReport {
    /// Archives due today, in the order they were found.
    pub due: Vec<RecycleCandidate>,
    /// Archives whose keepers are warned: due within a week.
    pub warned: Vec<RecycleCandidate>,
    /// How many went back to a pool (0 for a dry run).
    pub recycled: usize,
    /// How many were not sent back after all: claimed, moved or contacted
    /// since they were read.
    pub spared: usize,
}

/// Archives read per page by the recycle run.
const RECYCLE_PAGE: usize = 1000;

#[derive(Deserialize)]
struct KeptRow {
    id: String,
    doc: String,
    team: Option<String>,
}

impl KeptRow {
    /// The archive as a candidate for `rules`, if one of them applies to it.
    fn candidate(self, rules: &PoolRules) -> Option<RecycleCandidate> {
        let Ok(customer) = serde_json::from_str::<Customer>(&self.doc) else {
            tracing::error!(customer = %self.id, "stored archive does not parse");
            return None;
        };
        Some(RecycleCandidate {
            recycle: recycle_date(rules, &customer)?,
            customer: customer.id,
            name: customer.fields.name.as_str().to_owned(),
            keeper: customer.fields.owner?,
            pool: self.team,
        })
    }
}

impl Store {
    /// Every pool's rules (never saved: the defaults, at version 0).
    pub async fn pool_settings(&self) -> Result<PoolSettings, StoreError> {
        let mut response = self.db.query(READ_POOL_SETTINGS).await.map_err(StoreError::from_db)?;
        let row: Option<SettingRow> = take_one(&mut response, 0)?;
        row.map_or_else(|| Ok(PoolSettings::default()), |r| r.pool_settings())
    }

    /// Replaces the rules of the pool of `team` (none: the company's), as
    /// someone who runs it. Like the review rules, the change takes a sync
    /// version, so devices bring the new rules with their next pull; audited.
    pub async fn save_pool_rules(
        &self,
        viewer: &Viewer,
        team: Option<&str>,
        rules: &PoolRules,
    ) -> Result<PoolSettings, StoreError> {
        if !policy::runs_pool(viewer, team) {
            return Err(StoreError::Forbidden("pool.forbidden".into()));
        }
        let before = self.pool_settings().await?;
        let mut after = before.clone();
        after.pools.insert(team.unwrap_or("").to_owned(), rules.clone());
        after.check().map_err(StoreError::Invalid)?;
        let stored = |s: &PoolSettings| serde_json::to_string(&PoolSettings { version: 0, ..s.clone() });
        let doc = stored(&after).map_err(|_| StoreError::Other)?;
        let old = serde_json::to_string(&before.rules(team)).map_err(|_| StoreError::Other)?;
        let new = serde_json::to_string(rules).map_err(|_| StoreError::Other)?;
        let pool = team.unwrap_or("company");
        let change = SettingChange { key: "pools", doc, action: "pool_rules", subject: Some(pool), old, new };
        let saved = self.save_setting(&viewer.user, change).await?.pool_settings()?;
        tracing::info!(user = %viewer.user, pool, version = saved.version, "pool rules saved");
        Ok(saved)
    }

    /// What the claims of a push group are checked against: for each
    /// claiming user, today's claims, what they keep, and when they last
    /// lost each archive they claim now.
    pub(crate) async fn holdings(
        &self,
        claims: &[(UserId, CustomerId)],
        today: Date,
    ) -> Result<HashMap<UserId, Holdings>, StoreError> {
        let mut out: HashMap<UserId, Holdings> = HashMap::new();
        if claims.is_empty() {
            return Ok(out);
        }
        let mut users: Vec<String> = claims.iter().map(|(u, _)| u.0.clone()).collect();
        users.sort();
        users.dedup();
        let customers: Vec<String> = claims.iter().map(|(_, c)| c.to_string()).collect();
        let mut response = self
            .db
            .query(
                "SELECT user, count() AS count FROM pool_move WHERE user IN $users AND kind = 'claim' AND day = $today GROUP BY user;
                 SELECT owner, category, count() AS count FROM customer WHERE owner IN $users AND deleted = false GROUP BY owner, category;
                 SELECT user, customer, day FROM pool_move WHERE customer IN $customers AND user IN $users AND kind IN ['release', 'recycle'];",
            )
            .bind(("users", users.clone()))
            .bind(("customers", customers))
            .bind(("today", today.to_string()))
            .await
            .map_err(StoreError::from_db)?;
        let counts: Vec<CountRow> = take_all(&mut response, 0)?;
        let held: Vec<HeldRow> = take_all(&mut response, 1)?;
        let lost: Vec<LostRow> = take_all(&mut response, 2)?;
        for user in users {
            out.insert(UserId(user), Holdings::default());
        }
        for row in counts {
            out.entry(UserId(row.user)).or_default().claims_today = row.count as u32;
        }
        for row in held {
            out.entry(UserId(row.owner)).or_default().held.insert(row.category, row.count as u32);
        }
        for row in lost {
            let (Ok(customer), Ok(day)) = (row.customer.parse(), Date::parse_field(&row.day, "day")) else {
                continue;
            };
            let lost = &mut out.entry(UserId(row.user)).or_default().lost;
            let last = lost.entry(customer).or_insert(day);
            *last = (*last).max(day);
        }
        Ok(out)
    }

    /// Finds the archives due to go back to their pools on `today` (and
    /// those whose keepers are warned), and unless `dry_run` sends the due
    /// ones back: each as a recycle mutation of the system's own client,
    /// through the push path, which checks again that it is still due and
    /// still kept by the same person. A second run finds nothing more to do.
    pub async fn recycle(&self, today: Date, dry_run: bool) -> Result<RecycleReport, StoreError> {
        let settings = self.pool_settings().await?;
        let mut report = RecycleReport::default();
        if settings.pools.values().all(|rules| rules.recycle.is_empty()) {
            return Ok(report);
        }
        let mut after = String::new();
        loop {
            let mut response = self
                .db
                // Pages by key range from the last id: a filter on the id instead read
                // the table from its start for every page (minutes at 100,000 archives).
                .query(
                    "SELECT record::id(id) AS id, doc, team FROM type::record('customer', $after>..)
                     WHERE owner != NONE AND deleted = false LIMIT $limit",
                )
                .bind(("after", after.clone()))
                .bind(("limit", RECYCLE_PAGE as i64))
                .await
                .map_err(StoreError::from_db)?;
            let rows: Vec<KeptRow> = take_all(&mut response, 0)?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            let full = rows.len() == RECYCLE_PAGE;
            for row in rows {
                let rules = settings.rules(row.team.as_deref());
                let Some(candidate) = row.candidate(&rules) else { continue };
                let recycle = candidate.recycle;
                if recycle.is_due(today) {
                    report.due.push(candidate);
                } else if recycle.warns(today) {
                    report.warned.push(candidate);
                }
            }
            if !full {
                break;
            }
        }
        if dry_run || report.due.is_empty() {
            return Ok(report);
        }
        // A client per run: its numbers are its own, whichever server runs it.
        let system = UserId(SYSTEM_USER.into());
        let viewer = Viewer { user: system.clone(), role: Role::Admin, team: None };
        let mut client = Sequencer { client: ClientId::new(), author: system, last_seq: 0 };
        let now = Timestamp(crate::now_millis());
        let mutations: Vec<_> = report
            .due
            .iter()
            .map(|c| {
                let change = Change::Recycle {
                    keeper: c.keeper.clone(),
                    pool: c.pool.clone(),
                    rule: c.recycle.rule as u32,
                    base: 0,
                };
                client.next(c.customer, change, now)
            })
            .collect();
        for batch in mutations.chunks(crate::MAX_BATCH) {
            let reply = self.push(&viewer, client.client, batch, today).await?;
            for result in reply.results {
                match result.outcome {
                    crate::Outcome::Rejected { .. } => report.spared += 1,
                    _ => report.recycled += 1,
                }
            }
        }
        tracing::info!(
            due = report.due.len(),
            recycled = report.recycled,
            spared = report.spared,
            warned = report.warned.len(),
            "recycle run"
        );
        Ok(report)
    }

    /// The archives a pool's `rules` would send back now, as a preview
    /// before an admin or manager saves them: those kept by the members
    /// of `team` (none: users without a team).
    pub async fn recycle_preview(
        &self,
        viewer: &Viewer,
        team: Option<&str>,
        rules: &PoolRules,
        today: Date,
    ) -> Result<Vec<RecycleCandidate>, StoreError> {
        if !policy::runs_pool(viewer, team) {
            return Err(StoreError::Forbidden("pool.forbidden".into()));
        }
        let in_team = if team.is_some() { "team = $team" } else { "team = NONE" };
        let mut response = self
            .db
            .query(format!(
                "SELECT record::id(id) AS id, doc, team FROM customer
                 WHERE owner != NONE AND deleted = false AND {in_team}"
            ))
            .bind(("team", team.unwrap_or_default().to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<KeptRow> = take_all(&mut response, 0)?;
        let mut due: Vec<RecycleCandidate> = rows
            .into_iter()
            .filter_map(|row| row.candidate(rules).filter(|c| c.recycle.is_due(today)))
            .collect();
        due.sort_by(|a, b| a.recycle.on.cmp(&b.recycle.on).then_with(|| a.name.cmp(&b.name)));
        Ok(due)
    }

    /// Takes the lease on the daily job `name` for `holder` until `ttl_ms`
    /// from now, unless another holder has it (with several app servers on
    /// one database, one runs each job) or it ran for `today` already (a
    /// restart does not run a day's job twice).
    pub async fn take_job(
        &self,
        name: &str,
        holder: &str,
        ttl_ms: i64,
        today: Date,
    ) -> Result<JobTurn, StoreError> {
        let now = crate::now_millis();
        let result = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 LET $job = (SELECT * FROM type::record('job', $name))[0];
                 IF $job != NONE AND $job.last_done != NONE AND $job.last_done >= $day { THROW 'crm:done' };
                 IF $job != NONE AND $job.holder != NONE AND $job.holder != $holder AND $job.lease_until > $now { THROW 'crm:leased' };
                 UPSERT type::record('job', $name) SET holder = $holder, lease_until = $until;
                 COMMIT TRANSACTION;",
            )
            .bind(("day", today.to_string()))
            .bind(("name", name.to_owned()))
            .bind(("holder", holder.to_owned()))
            .bind(("now", now))
            .bind(("until", now + ttl_ms))
            .await
            .and_then(crate::error::explain);
        match result {
            Ok(_) => Ok(JobTurn::Run),
            Err(error) if error.to_string().contains("crm:done") => Ok(JobTurn::DoneToday),
            // Two servers taking it at once: the engine lets one commit.
            Err(error) if error.to_string().contains("crm:leased") || crate::sync::retryable(&error) => {
                Ok(JobTurn::Busy)
            }
            Err(error) => Err(StoreError::from_db(error)),
        }
    }

    /// Records that the job `name` ran for `today` (with what it reported)
    /// and lets go of its lease.
    pub async fn finish_job(
        &self,
        name: &str,
        holder: &str,
        today: Date,
        report: &str,
    ) -> Result<(), StoreError> {
        self.db
            .query(
                "UPDATE type::record('job', $name) SET holder = NONE, lease_until = 0, last_done = $day, last_report = $report
                 WHERE holder = $holder",
            )
            .bind(("name", name.to_owned()))
            .bind(("holder", holder.to_owned()))
            .bind(("day", today.to_string()))
            .bind(("report", report.to_owned()))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }
}

/// Whether a server may run a daily job now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobTurn {
    /// Yes: this server holds the lease.
    Run,
    /// Another server holds the lease.
    Busy,
    /// It ran today already.
    DoneToday,
}
