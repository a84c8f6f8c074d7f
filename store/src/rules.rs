//! Workflow rules in the database: the rules an admin saves, the events
//! their firings write, and carrying those events out.
//!
//! A firing is a `rule_event` row whose record id names the rule, the
//! customer and the occasion. A trigger on a change writes it in the push's
//! own transaction (see `sync/push.rs`); a time trigger is written by the
//! daily run with `INSERT IGNORE`. Either way an occasion fires once, and
//! the rows are the rule's run log.
//!
//! Carrying an event out pushes the rule's changes as mutations authored by
//! the rule, from a client and with ids derived from the event's key: if a
//! server dies after the push and before the event is marked done, the
//! next attempt pushes the same numbers again and the push path answers
//! them as already taken, so nothing happens twice.

use std::collections::HashMap;

use domain::archive::Customer;
use domain::care;
use domain::ids::{ClientId, CustomerId, ItemId, MutationId, UserId};
use domain::mutation::Mutation;
use domain::policy::{self, Role, Viewer};
use domain::rules::{
    self, Facts, Firing, Preview, Rule, RunEntry, Step, Trigger, condition_kind, occasions_on, unmet,
};
use domain::time::{Date, Timestamp};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::query::{take_all, without_nulls};
use crate::{Store, StoreError};

/// The job whose lease picks the one server that carries events out.
const CARRY_OUT_JOB: &str = "rules.events";
/// How long that lease lasts: a pass finishes well within it.
const CARRY_OUT_LEASE_MS: i64 = 5 * 60 * 1000;
/// Events carried out per round of a pass.
const EVENTS_PER_ROUND: i64 = 100;
/// Archives read per page by the daily run and previews.
const PAGE: usize = 1000;
/// The RFM window the rules' scores use (the dashboards' default).
const SCORE_WINDOW_DAYS: i64 = 365;
/// Run log lines shown per rule.
pub const LOG_LINES: i64 = 100;

#[derive(Deserialize)]
struct RuleRow {
    doc: String,
}

impl RuleRow {
    fn rule(&self) -> Option<Rule> {
        serde_json::from_str(&self.doc)
            .map_err(|error| tracing::error!(%error, "a stored rule does not parse"))
            .ok()
    }
}

/// The statement that reads the rules a change may fire, for the push's
/// first round trip.
pub(crate) const READ_CHANGE_RULES: &str = "SELECT doc FROM rule WHERE enabled = true AND on_change = true";

/// The rules of `rows` (as [`READ_CHANGE_RULES`] reads them).
pub(crate) fn change_rules(rows: Vec<serde_json::Value>) -> Vec<Rule> {
    rows.into_iter()
        .filter_map(|row| serde_json::from_value::<RuleRow>(row).ok())
        .filter_map(|row| row.rule())
        .collect()
}

/// The event row a change writes when it fires `rule` for `after`
/// (`depth`: how many rule runs led to the change).
pub(crate) fn change_event(
    rule: &Rule,
    mutation: &Mutation,
    after: &Customer,
    depth: u8,
    today: Date,
) -> serde_json::Value {
    let (state, reason) = match rule.fires_for(&mutation.author, depth) {
        Ok(()) => ("pending", None),
        Err(code) => ("skipped", Some(code)),
    };
    let occasion = format!("change:{}", mutation.id);
    event_row(&rule.id, after, &occasion, today, depth, state, reason)
}

fn event_key(rule: &str, customer: CustomerId, occasion: &str) -> String {
    format!("{rule}/{customer}/{occasion}")
}

fn event_row(
    rule: &str,
    customer: &Customer,
    occasion: &str,
    day: Date,
    depth: u8,
    state: &str,
    reason: Option<&str>,
) -> serde_json::Value {
    without_nulls(json!({
        "key": event_key(rule, customer.id, occasion),
        "rule": rule,
        "customer": customer.id.to_string(),
        "name": customer.fields.name.as_str(),
        "occasion": occasion,
        "day": day.to_string(),
        "depth": depth,
        "state": state,
        "reason": reason,
    }))
}

/// The statement that writes the event rows `$rule_events` not written
/// yet, at `$at`: in the push's transaction and in the daily run.
macro_rules! insert_rule_events {
    () => {
        "INSERT IGNORE INTO rule_event
           array::map($rule_events, |$r| object::extend(object::remove($r, 'key'), { id: type::record('rule_event', $r.key), at: $at }))"
    };
}
pub(crate) use insert_rule_events;

/// A stable UUID named by `text` (the same text, the same id, on any
/// server), in the shape of a version 8 UUID.
fn named_uuid(text: &str) -> uuid::Uuid {
    let digest = Sha256::digest(text.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes)
}

#[derive(Debug, Clone, Deserialize)]
struct EventRow {
    key: String,
    rule: String,
    customer: String,
    day: String,
    depth: u8,
}

#[derive(Deserialize)]
struct LogRow {
    customer: String,
    name: String,
    occasion: String,
    day: String,
    depth: u8,
    state: rules::RunState,
    reason: Option<String>,
    changes: u32,
    emails: u32,
    at: i64,
}

#[derive(Deserialize)]
struct DocRow {
    id: String,
    doc: String,
}

/// What a daily run of the rules found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesRun {
    /// Rules switched on.
    pub rules: usize,
    /// Firings of time triggers on the run's days (a dry run's: what would fire).
    pub firings: Vec<Firing>,
    /// How many of them were written now (0 for a dry run; the rest fired before).
    pub fired: usize,
    /// How many of them would email their customer (who meet the
    /// conditions, have an address and consent).
    pub would_mail: usize,
    /// What carrying the events out did.
    pub carried: CarryOut,
}

/// What a pass over waiting events did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CarryOut {
    /// Events carried out.
    pub done: usize,
    /// Events skipped (a condition, a switched-off rule, a gone customer).
    pub skipped: usize,
    /// Events whose changes were refused.
    pub failed: usize,
    /// Changes pushed.
    pub changes: usize,
    /// Messages queued.
    pub emails: usize,
}

impl Store {
    /// Waits until a push fires a rule (or returns at once if one did since
    /// the last wait): the server then carries the events out.
    pub async fn rule_fired(&self) {
        self.rules_waiting.notified().await;
    }

    /// Every rule, for those who run automation.
    pub async fn rules(&self, viewer: &Viewer) -> Result<Vec<Rule>, StoreError> {
        if !policy::may_run_automation(viewer) {
            return Err(StoreError::Forbidden("automation.forbidden".into()));
        }
        self.all_rules().await
    }

    async fn all_rules(&self) -> Result<Vec<Rule>, StoreError> {
        let mut response =
            self.db.query("SELECT doc, name FROM rule ORDER BY name").await.map_err(StoreError::from_db)?;
        let rows: Vec<RuleRow> = take_all(&mut response, 0)?;
        Ok(rows.iter().filter_map(RuleRow::rule).collect())
    }

    /// Saves `rule` (new or changed), checked first; audited with what it
    /// was and is.
    pub async fn save_rule(&self, viewer: &Viewer, rule: &Rule) -> Result<Rule, StoreError> {
        if !policy::may_run_automation(viewer) {
            return Err(StoreError::Forbidden("automation.forbidden".into()));
        }
        let mut rule = rule.clone();
        rule.name = rule.name.trim().to_owned();
        rule.check().map_err(StoreError::Invalid)?;
        let doc = serde_json::to_string(&rule).map_err(|_| StoreError::Other)?;
        self.db
            .query(
                "BEGIN TRANSACTION;
                 LET $old = (SELECT VALUE doc FROM type::record('rule', $id))[0];
                 UPSERT type::record('rule', $id) CONTENT {
                     doc: $doc, enabled: $enabled, on_change: $on_change, name: $name, updated_at: $now };
                 CREATE audit CONTENT { user: $by, action: 'rule_save', subject: $id, old: $old, new: $doc };
                 COMMIT TRANSACTION;",
            )
            .bind(("id", rule.id.clone()))
            .bind(("doc", doc))
            .bind(("enabled", rule.enabled))
            .bind(("on_change", rule.trigger.on_change()))
            .bind(("name", rule.name.clone()))
            .bind(("now", crate::now_millis()))
            .bind(("by", viewer.user.0.clone()))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        tracing::info!(user = %viewer.user, rule = %rule.id, enabled = rule.enabled, "rule saved");
        Ok(rule)
    }

    /// Removes a rule; its run log stays. Audited.
    pub async fn delete_rule(&self, viewer: &Viewer, id: &str) -> Result<(), StoreError> {
        if !policy::may_run_automation(viewer) {
            return Err(StoreError::Forbidden("automation.forbidden".into()));
        }
        self.db
            .query(
                "BEGIN TRANSACTION;
                 LET $old = (SELECT VALUE doc FROM type::record('rule', $id))[0];
                 IF $old = NONE { THROW 'crm:not_found' };
                 DELETE type::record('rule', $id);
                 CREATE audit CONTENT { user: $by, action: 'rule_delete', subject: $id, old: $old };
                 COMMIT TRANSACTION;",
            )
            .bind(("id", id.to_owned()))
            .bind(("by", viewer.user.0.clone()))
            .await
            .and_then(crate::error::explain)
            .map_err(|error| {
                if error.to_string().contains("crm:not_found") {
                    StoreError::NotFound
                } else {
                    StoreError::from_db(error)
                }
            })?;
        Ok(())
    }

    /// The latest lines of `rule`'s run log, newest first.
    pub async fn rule_log(&self, viewer: &Viewer, rule: &str) -> Result<Vec<RunEntry>, StoreError> {
        if !policy::may_run_automation(viewer) {
            return Err(StoreError::Forbidden("automation.forbidden".into()));
        }
        let mut response = self
            .db
            .query(
                "SELECT customer, name, occasion, day, depth, state, reason, changes, emails, at
                 FROM rule_event WHERE rule = $rule ORDER BY at DESC LIMIT $limit",
            )
            .bind(("rule", rule.to_owned()))
            .bind(("limit", LOG_LINES))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<LogRow> = take_all(&mut response, 0)?;
        Ok(rows
            .into_iter()
            .map(|r| RunEntry {
                customer: r.customer,
                name: r.name,
                occasion: r.occasion,
                day: r.day,
                depth: r.depth,
                state: r.state,
                reason: r.reason,
                changes: r.changes,
                emails: r.emails,
                at: r.at,
            })
            .collect())
    }

    /// What `rule` would do from `today` on, before it is switched on: the
    /// firings of the coming days for a time trigger, and for a trigger on
    /// a change the customers who meet its conditions now.
    pub async fn rule_preview(
        &self,
        viewer: &Viewer,
        rule: &Rule,
        today: Date,
    ) -> Result<Preview, StoreError> {
        if !policy::may_run_automation(viewer) {
            return Err(StoreError::Forbidden("automation.forbidden".into()));
        }
        rule.check().map_err(StoreError::Invalid)?;
        let facts = if rule.needs_scores() { self.facts(today).await? } else { HashMap::new() };
        let mut preview = Preview::default();
        let last = Date::from_days_since_epoch(today.days_since_epoch() + rules::PREVIEW_DAYS - 1);
        if let Trigger::ChurnRiskAbove { .. } = rule.trigger {
            // Who is above it now and would fire on the first run.
            let crossed = self.threshold_crossed(rule, &facts, true).await?;
            preview.firings = crossed.iter().map(|c| threshold_firing(rule, c, &facts, today)).collect();
        } else {
            self.each_page(|customers| {
                for customer in customers {
                    if rule.trigger.on_change() {
                        let own = facts.get(&customer.id).copied().unwrap_or_default();
                        if unmet(&rule.conditions, customer, &own).is_none() {
                            preview.matching += 1;
                            if preview.examples.len() < 10 {
                                preview.examples.push(customer.fields.name.as_str().to_owned());
                            }
                        }
                    } else {
                        let occasions = occasions_between(&rule.trigger, customer, today, last);
                        preview.firings.extend(
                            occasions
                                .into_iter()
                                .map(|(day, occasion)| firing(rule, customer, &facts, day, occasion)),
                        );
                    }
                }
            })
            .await?;
        }
        preview.firings.sort_by(|a, b| a.day.cmp(&b.day).then_with(|| a.name.cmp(&b.name)));
        preview.firings.truncate(rules::PREVIEW_FIRINGS);
        Ok(preview)
    }

    /// Calls `visit` with each page of live archives.
    async fn each_page(&self, mut visit: impl FnMut(&[Customer])) -> Result<usize, StoreError> {
        let mut after = String::new();
        let mut scanned = 0;
        loop {
            let mut response = self
                .db
                .query(
                    "SELECT record::id(id) AS id, doc FROM type::record('customer', $after>..)
                     WHERE deleted = false LIMIT $limit",
                )
                .bind(("after", after.clone()))
                .bind(("limit", PAGE as i64))
                .await
                .map_err(StoreError::from_db)?;
            let rows: Vec<DocRow> = take_all(&mut response, 0)?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            let full = rows.len() == PAGE;
            scanned += rows.len();
            let customers: Vec<Customer> = rows.iter().filter_map(parse_archive).collect();
            visit(&customers);
            if !full {
                break;
            }
        }
        Ok(scanned)
    }

    /// The scores rules read, per archive.
    async fn facts(&self, today: Date) -> Result<HashMap<CustomerId, Facts>, StoreError> {
        let run = self.scoring(today, SCORE_WINDOW_DAYS, false).await?;
        Ok(run
            .scoring
            .scores
            .iter()
            .map(|(id, score)| {
                let churn_risk = match score.churn {
                    domain::analytics::scoring::Churn::Scored { p_alive, .. } => Some(1.0 - p_alive),
                    _ => None,
                };
                let high_value = score.rfm.as_ref().is_some_and(|r| r.high_value);
                (*id, Facts { churn_risk, high_value, suggested: Some(score.suggested) })
            })
            .collect())
    }

    /// The customers a churn threshold `rule` fires for on `today`: above
    /// it now and not above it at its last look. Unless `dry_run`, the
    /// look is remembered (and forgotten for those who dropped below).
    async fn threshold_crossed(
        &self,
        rule: &Rule,
        facts: &HashMap<CustomerId, Facts>,
        dry_run: bool,
    ) -> Result<Vec<Customer>, StoreError> {
        let Trigger::ChurnRiskAbove { percent } = rule.trigger else { return Ok(Vec::new()) };
        #[derive(Deserialize)]
        struct StateRow {
            key: String,
        }
        let prefix = format!("{}/", rule.id);
        let mut response = self
            .db
            .query("SELECT record::id(id) AS key FROM rule_state WHERE string::starts_with(record::id(id), $prefix)")
            .bind(("prefix", prefix.clone()))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<StateRow> = take_all(&mut response, 0)?;
        let was: std::collections::HashSet<String> = rows.into_iter().map(|r| r.key).collect();
        let above: std::collections::HashSet<String> = facts
            .iter()
            .filter(|(_, f)| f.churn_risk.is_some_and(|risk| risk * 100.0 >= f64::from(percent)))
            .map(|(id, _)| format!("{prefix}{id}"))
            .collect();
        let crossed: Vec<CustomerId> =
            above.difference(&was).filter_map(|key| key.strip_prefix(&prefix)?.parse().ok()).collect();
        if !dry_run {
            let fell: Vec<String> = was.difference(&above).cloned().collect();
            let rose: Vec<String> = above.difference(&was).cloned().collect();
            self.db
                .query(
                    "FOR $k IN $fell { DELETE type::record('rule_state', $k) };
                     FOR $k IN $rose { UPSERT type::record('rule_state', $k) SET above = true };",
                )
                .bind(("fell", fell))
                .bind(("rose", rose))
                .await
                .and_then(crate::error::explain)
                .map_err(StoreError::from_db)?;
        }
        let docs = self.archives(&crossed).await?;
        Ok(docs.into_values().filter(|c| !c.deleted()).collect())
    }

    /// The archives of `ids` that exist.
    async fn archives(&self, ids: &[CustomerId]) -> Result<HashMap<CustomerId, Customer>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let keys: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        let mut response = self
            .db
            .query(
                "SELECT record::id(id) AS id, doc FROM array::map($keys, |$k| type::record('customer', $k))",
            )
            .bind(("keys", keys))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> = take_all(&mut response, 0)?;
        Ok(rows
            .into_iter()
            .filter_map(|row| serde_json::from_value::<DocRow>(row).ok())
            .filter_map(|row| parse_archive(&row))
            .map(|c| (c.id, c))
            .collect())
    }

    /// Fires the time triggers of the switched-on rules for the days `from`
    /// to `to` (a churn threshold on `to` only), unless `dry_run`, then
    /// carries out what waits. An occasion fired before is not fired again.
    pub async fn run_rules(
        &self,
        from: Date,
        to: Date,
        dry_run: bool,
        holder: &str,
    ) -> Result<RulesRun, StoreError> {
        let all = self.all_rules().await?;
        let on: Vec<&Rule> = all.iter().filter(|r| r.enabled).collect();
        let mut run = RulesRun { rules: on.len(), ..RulesRun::default() };
        let timed: Vec<&Rule> = on.iter().copied().filter(|r| !r.trigger.on_change()).collect();
        let facts =
            if timed.iter().any(|r| r.needs_scores()) { self.facts(to).await? } else { HashMap::new() };
        let mut rows = Vec::new();
        if timed.iter().any(|r| !matches!(r.trigger, Trigger::ChurnRiskAbove { .. })) {
            self.each_page(|customers| {
                for customer in customers {
                    for rule in &timed {
                        for (day, occasion) in occasions_between(&rule.trigger, customer, from, to) {
                            rows.push(event_row(&rule.id, customer, &occasion, day, 0, "pending", None));
                            let firing = firing(rule, customer, &facts, day, occasion);
                            run.would_mail += usize::from(mails(rule, customer, &firing));
                            run.firings.push(firing);
                        }
                    }
                }
            })
            .await?;
        }
        for rule in timed.iter().filter(|r| matches!(r.trigger, Trigger::ChurnRiskAbove { .. })) {
            for customer in self.threshold_crossed(rule, &facts, dry_run).await? {
                let firing = threshold_firing(rule, &customer, &facts, to);
                rows.push(event_row(&rule.id, &customer, &firing.occasion, to, 0, "pending", None));
                run.would_mail += usize::from(mails(rule, &customer, &firing));
                run.firings.push(firing);
            }
        }
        if dry_run {
            return Ok(run);
        }
        for chunk in rows.chunks(500) {
            let mut response = self
                .db
                .query(concat!(insert_rule_events!(), " RETURN record::id(id) AS key"))
                .bind(("rule_events", chunk.to_vec()))
                .bind(("at", crate::now_millis()))
                .await
                .and_then(crate::error::explain)
                .map_err(StoreError::from_db)?;
            let written: Vec<serde_json::Value> = take_all(&mut response, 0)?;
            run.fired += written.len();
        }
        run.carried = self.carry_out_rules(holder).await?;
        tracing::info!(from = %from, to = %to, rules = run.rules, fired = run.fired, "rules run");
        Ok(run)
    }

    /// Fires today's time triggers now, as an admin asks from the app (with
    /// the day's reminders): the daily job's work, each occasion still once.
    pub async fn run_rules_now(&self, viewer: &Viewer, today: Date) -> Result<RulesRun, StoreError> {
        if !policy::may_run_automation(viewer) {
            return Err(StoreError::Forbidden("automation.forbidden".into()));
        }
        self.run_rules(today, today, false, &format!("asked by {}", viewer.user)).await
    }

    /// Carries out the events waiting, oldest first, as the one server
    /// holding the lease (another server's pass returns at once).
    pub async fn carry_out_rules(&self, holder: &str) -> Result<CarryOut, StoreError> {
        let mut total = CarryOut::default();
        match self.take_job(CARRY_OUT_JOB, holder, CARRY_OUT_LEASE_MS, Date::from_days_since_epoch(0)).await?
        {
            crate::JobTurn::Run => {}
            _ => return Ok(total),
        }
        let result = self.carry_out_rounds(&mut total).await;
        self.release_job(CARRY_OUT_JOB, holder).await?;
        result?;
        if total.done + total.skipped + total.failed > 0 {
            tracing::info!(
                done = total.done,
                skipped = total.skipped,
                failed = total.failed,
                changes = total.changes,
                emails = total.emails,
                "rule events carried out"
            );
        }
        Ok(total)
    }

    async fn carry_out_rounds(&self, total: &mut CarryOut) -> Result<(), StoreError> {
        loop {
            let mut response = self
                .db
                .query(
                    "SELECT record::id(id) AS key, rule, customer, day, depth FROM rule_event
                     WHERE state = 'pending' ORDER BY at LIMIT $limit",
                )
                .bind(("limit", EVENTS_PER_ROUND))
                .await
                .map_err(StoreError::from_db)?;
            let events: Vec<EventRow> = take_all(&mut response, 0)?;
            if events.is_empty() {
                return Ok(());
            }
            let rules: HashMap<String, Rule> =
                self.all_rules().await?.into_iter().map(|r| (r.id.clone(), r)).collect();
            let ids: Vec<CustomerId> = events.iter().filter_map(|e| e.customer.parse().ok()).collect();
            let customers = self.archives(&ids).await?;
            let today = crate::today();
            let facts = if events.iter().any(|e| rules.get(&e.rule).is_some_and(Rule::needs_scores)) {
                self.facts(today).await?
            } else {
                HashMap::new()
            };
            let users = self.list_users().await?;
            for event in events {
                let outcome = self.carry_out(&event, &rules, &customers, &facts, &users).await;
                let (state, reason, changes, emails) = match outcome {
                    Ok(done) => done,
                    Err(error) => {
                        tracing::error!(%error, event = %event.key, "a rule event failed");
                        ("failed", Some("rule.error".to_owned()), 0, 0)
                    }
                };
                match state {
                    "done" => total.done += 1,
                    "skipped" => total.skipped += 1,
                    _ => total.failed += 1,
                }
                total.changes += changes as usize;
                total.emails += emails as usize;
                self.db
                    .query(
                        "UPDATE type::record('rule_event', $key) SET state = $state, reason = $reason,
                         changes = $changes, emails = $emails, done_at = $now",
                    )
                    .bind(("key", event.key.clone()))
                    .bind(("state", state))
                    .bind(("reason", reason))
                    .bind(("changes", changes as i64))
                    .bind(("emails", emails as i64))
                    .bind(("now", crate::now_millis()))
                    .await
                    .and_then(crate::error::explain)
                    .map_err(StoreError::from_db)?;
            }
        }
    }

    /// Carries out one event: its state, reason, changes and messages.
    async fn carry_out(
        &self,
        event: &EventRow,
        rules: &HashMap<String, Rule>,
        customers: &HashMap<CustomerId, Customer>,
        facts: &HashMap<CustomerId, Facts>,
        users: &[domain::views::User],
    ) -> Result<(&'static str, Option<String>, u32, u32), StoreError> {
        let skipped = |code: &str| Ok(("skipped", Some(code.to_owned()), 0, 0));
        let Some(rule) = rules.get(&event.rule) else { return skipped("rule.gone") };
        if !rule.enabled {
            return skipped("rule.disabled");
        }
        let Some(customer) = event.customer.parse().ok().and_then(|id: CustomerId| customers.get(&id)) else {
            return skipped("customer.gone");
        };
        if customer.deleted() {
            return skipped("customer.gone");
        }
        let facts = facts.get(&customer.id).copied().unwrap_or_default();
        if let Some(condition) = unmet(&rule.conditions, customer, &facts) {
            return Ok(("skipped", Some(format!("rule.unmet:{}", condition_kind(condition))), 0, 0));
        }
        let day = Date::parse_field(&event.day, "day").map_err(StoreError::Invalid)?;
        let manager = manager_of(users, customer.fields.owner.as_ref());
        let author = rules::author(&rule.id);
        let client = ClientId(named_uuid(&event.key));
        let now = Timestamp(crate::now_millis());
        let mut mutations = Vec::new();
        let mut templates = Vec::new();
        let mut to_keeper = Vec::new();
        let mut notes = Vec::new();
        for (n, action) in rule.actions.iter().enumerate() {
            let task_id = ItemId(named_uuid(&format!("{}#task{n}", event.key)));
            match rules::step(action, customer, &facts, day, manager.as_ref(), task_id) {
                Step::Change(change) => mutations.push(Mutation {
                    id: MutationId(named_uuid(&format!("{}#{n}", event.key))),
                    client,
                    seq: mutations.len() as u64 + 1,
                    author: author.clone(),
                    client_time: now,
                    customer: customer.id,
                    change,
                }),
                Step::Email(template) => templates.push((n, template)),
                Step::EmailKeeper(template) => to_keeper.push((n, template)),
                Step::Nothing(code) => notes.push(code),
            }
        }
        let mut applied = 0;
        let mut refused = None;
        if !mutations.is_empty() {
            let viewer = Viewer { user: author.clone(), role: Role::Admin, team: None };
            let reply = self
                .push_at_depth(&viewer, client, &mutations, crate::today(), event.depth.saturating_add(1))
                .await?;
            for result in reply.results {
                match result.outcome {
                    crate::Outcome::Rejected { code, .. } => {
                        refused.get_or_insert(code);
                    }
                    _ => applied += 1,
                }
            }
        }
        let mut emails = 0;
        if !templates.is_empty() {
            match self.rule_mail(&event.key, day, customer, &templates, users).await? {
                Ok(queued) => emails = queued,
                Err(skip) => notes.push(skip),
            }
        }
        if !to_keeper.is_empty() {
            match self.keeper_mail(&event.key, day, customer, &to_keeper, users).await? {
                Ok(queued) => emails += queued,
                Err(skip) => notes.push(skip),
            }
        }
        let reason = refused.clone().or_else(|| notes.first().map(|c| (*c).to_owned()));
        let state = if refused.is_some() && applied == 0 && emails == 0 { "failed" } else { "done" };
        Ok((state, reason, applied, emails))
    }

    /// Queues the messages of one event to its customer, within the care
    /// rules (consent and an address, the month's cap, quiet hours).
    async fn rule_mail(
        &self,
        event: &str,
        day: Date,
        customer: &Customer,
        templates: &[(usize, care::Template)],
        users: &[domain::views::User],
    ) -> Result<Result<u32, &'static str>, StoreError> {
        let address = match care::recipient(customer) {
            Ok(email) => email.as_str().to_owned(),
            Err(skip) => return Ok(Err(skip_code(skip))),
        };
        let settings = self.care_settings().await?;
        let month = month_of(day);
        let id = customer.id.to_string();
        let sent = self.care_sent_in(vec![id.clone()], &month).await?.get(&id).copied().unwrap_or(0);
        let keeper = customer.fields.owner.as_ref().map(|k| {
            users.iter().find(|u| &u.id == k).map_or_else(|| k.0.clone(), |u| u.display_name.clone())
        });
        let values = mail_values(customer, keeper.unwrap_or_default(), day);
        let not_before = settings.send_after(Timestamp(crate::now_millis())).0;
        let mut mails = Vec::new();
        for (n, template) in templates {
            // A message queued before by this event counts as its own.
            if !settings.within_cap(sent + mails.len() as u32) {
                break;
            }
            let (subject, body) = template.render(&values);
            mails.push(crate::NewMail {
                key: format!("rule:{event}#{n}"),
                kind: "rule",
                customer: Some(id.clone()),
                to: address.clone(),
                subject,
                body,
                not_before,
                month: month.clone(),
            });
        }
        if mails.is_empty() {
            return Ok(Err("care.capped"));
        }
        self.queue_mail(&mails).await?;
        Ok(Ok(mails.len() as u32))
    }

    /// Queues the messages of one event to the customer's keeper, at the
    /// address they gave (none given: nothing is sent, and the log says so).
    async fn keeper_mail(
        &self,
        event: &str,
        day: Date,
        customer: &Customer,
        templates: &[(usize, care::Template)],
        users: &[domain::views::User],
    ) -> Result<Result<u32, &'static str>, StoreError> {
        let keeper = users.iter().find(|u| Some(&u.id) == customer.fields.owner.as_ref());
        let Some((keeper, address)) = keeper.and_then(|k| Some((k, k.email.clone()?))) else {
            return Ok(Err("rule.keeper_no_email"));
        };
        let values = mail_values(customer, keeper.display_name.clone(), day);
        let mails: Vec<crate::NewMail> = templates
            .iter()
            .map(|(n, template)| {
                let (subject, body) = template.render(&values);
                crate::NewMail {
                    key: format!("rule:{event}#{n}"),
                    kind: "rule_keeper",
                    // Not the customer's mail: it counts toward no cap and
                    // is not noted on the record.
                    customer: None,
                    to: address.clone(),
                    subject,
                    body,
                    not_before: crate::now_millis(),
                    month: month_of(day),
                }
            })
            .collect();
        self.queue_mail(&mails).await?;
        Ok(Ok(mails.len() as u32))
    }

    /// Lets go of the lease on `name` if `holder` has it.
    pub(crate) async fn release_job(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.db
            .query(
                "UPDATE type::record('job', $name) SET holder = NONE, lease_until = 0 WHERE holder = $holder",
            )
            .bind(("name", name.to_owned()))
            .bind(("holder", holder.to_owned()))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }
}

/// The calendar month `day` counts in for the monthly cap (`2026-12`).
fn month_of(day: Date) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// What fills a rule message's placeholders for `customer`, kept by
/// `keeper`, fired on `day`.
fn mail_values(customer: &Customer, keeper: String, day: Date) -> care::Values {
    care::Values {
        name: customer.fields.name.as_str().to_owned(),
        date: format!("{}月{}日", day.month(), day.day()),
        keeper,
        festival: String::new(),
    }
}

fn skip_code(skip: care::Skip) -> &'static str {
    match skip {
        care::Skip::NoEmail => "care.no_email",
        care::Skip::NoConsent => "care.no_consent",
        care::Skip::Capped => "care.capped",
    }
}

fn parse_archive(row: &DocRow) -> Option<Customer> {
    serde_json::from_str(&row.doc)
        .map_err(|_| tracing::error!(customer = %row.id, "stored archive does not parse"))
        .ok()
}

/// The occasions of a time `trigger` for `customer` on the days `from` to
/// `to`, each with the first day it fires.
fn occasions_between(trigger: &Trigger, customer: &Customer, from: Date, to: Date) -> Vec<(Date, String)> {
    let mut out: Vec<(Date, String)> = Vec::new();
    for n in from.days_since_epoch()..=to.days_since_epoch() {
        let day = Date::from_days_since_epoch(n);
        for occasion in occasions_on(trigger, customer, day) {
            // An overdue complaint is one occasion, not one per day late.
            if !out.iter().any(|(_, o)| *o == occasion) {
                out.push((day, occasion));
            }
        }
    }
    out
}

/// `rule` firing for `customer` on `day` for `occasion`, with the first
/// condition they do not meet.
fn firing(
    rule: &Rule,
    customer: &Customer,
    facts: &HashMap<CustomerId, Facts>,
    day: Date,
    occasion: String,
) -> Firing {
    let facts = facts.get(&customer.id).copied().unwrap_or_default();
    Firing {
        rule: rule.id.clone(),
        customer: customer.id.to_string(),
        name: customer.fields.name.as_str().to_owned(),
        day: day.to_string(),
        occasion,
        unmet: unmet(&rule.conditions, customer, &facts).map(condition_kind),
    }
}

/// A churn threshold `rule` firing for `customer` on `day`.
fn threshold_firing(
    rule: &Rule,
    customer: &Customer,
    facts: &HashMap<CustomerId, Facts>,
    day: Date,
) -> Firing {
    firing(rule, customer, facts, day, format!("risk:{day}"))
}

/// Whether `firing` of `rule` would send mail (to `customer`, who must
/// have an address and consent, or to their keeper).
fn mails(rule: &Rule, customer: &Customer, firing: &Firing) -> bool {
    let to_customer = care::recipient(customer).is_ok()
        && rule.actions.iter().any(|a| matches!(a, rules::Action::EmailCustomer { .. }));
    let to_keeper = rule.actions.iter().any(|a| matches!(a, rules::Action::EmailKeeper { .. }));
    firing.unmet.is_none() && (to_customer || to_keeper)
}

/// The manager of `keeper`'s team (none: no keeper, no team or no manager).
fn manager_of(users: &[domain::views::User], keeper: Option<&UserId>) -> Option<UserId> {
    let team = users.iter().find(|u| Some(&u.id) == keeper)?.team.clone()?;
    users
        .iter()
        .find(|u| u.role == Role::Manager && !u.disabled && u.team.as_ref() == Some(&team))
        .map(|u| u.id.clone())
}

#[cfg(test)]
mod tests {
    use domain::archive::{Fields, Order, TaskKind};
    use domain::money::{Currency, Money};
    use domain::mutation::{Change, Sequencer};
    use domain::rules::Action;

    use super::*;

    #[tokio::test]
    async fn an_event_carried_out_again_after_a_crash_pushes_its_changes_once() {
        let (store, _) = Store::open("mem://", None).await.unwrap();
        let root = Viewer { user: UserId("root".into()), role: Role::Admin, team: None };
        let rule = Rule {
            id: "buyers".into(),
            name: "复购".into(),
            enabled: true,
            trigger: Trigger::OrderAdded,
            conditions: vec![],
            actions: vec![
                Action::AddTag { tag: "复购".into() },
                Action::CreateTask {
                    task: TaskKind::FollowUp,
                    in_days: 3,
                    note: String::new(),
                    for_manager: false,
                },
            ],
        };
        store.save_rule(&root, &rule).await.unwrap();
        let mut device = Sequencer::new(root.user.clone());
        let id = CustomerId::new();
        let at = Timestamp(1_700_000_000_000);
        let create = Change::Create {
            fields: Box::new(Fields::named(domain::CustomerName::parse("李雷").unwrap())),
        };
        let order = Order {
            product: "空调".into(),
            quantity: 1,
            amount: Money { minor: 100, currency: Currency::cny() },
            date: crate::today(),
            channel: None,
            ends_on: None,
        };
        let put = Change::PutOrder { id: ItemId::new(), order, base: 0 };
        let batch = [device.next(id, create, at), device.next(id, put, at)];
        store.push(&root, device.client, &batch, crate::today()).await.unwrap();
        assert_eq!(store.carry_out_rules("one").await.unwrap().changes, 2);
        let before = store.archives(&[id]).await.unwrap()[&id].clone();
        // As if the server died after its push and before marking the
        // event done: the event waits again, and another server takes it.
        store.db.query("UPDATE rule_event SET state = 'pending'").await.unwrap();
        let again = store.carry_out_rules("two").await.unwrap();
        assert_eq!(again.done, 1);
        let after = store.archives(&[id]).await.unwrap()[&id].clone();
        assert_eq!(after.version, before.version, "the same mutations, answered as already taken");
        assert_eq!(after.tasks.len(), 1);
    }

    #[tokio::test]
    async fn a_churn_threshold_fires_when_crossed_and_again_only_after_dropping_below() {
        let (store, _) = Store::open("mem://", None).await.unwrap();
        let root = Viewer { user: UserId("root".into()), role: Role::Admin, team: None };
        let mut device = Sequencer::new(root.user.clone());
        let (one, two) = (CustomerId::new(), CustomerId::new());
        let at = Timestamp(1_700_000_000_000);
        let create = |name: &str| Change::Create {
            fields: Box::new(Fields::named(domain::CustomerName::parse(name).unwrap())),
        };
        let batch = [device.next(one, create("甲"), at), device.next(two, create("乙"), at)];
        store.push(&root, device.client, &batch, crate::today()).await.unwrap();
        let rule = Rule {
            id: "risk".into(),
            name: "流失预警".into(),
            enabled: true,
            trigger: Trigger::ChurnRiskAbove { percent: 70 },
            conditions: vec![],
            actions: vec![Action::AddTag { tag: "预警".into() }],
        };
        let risk = |a: f64, b: f64| {
            HashMap::from([
                (one, Facts { churn_risk: Some(a), ..Facts::default() }),
                (two, Facts { churn_risk: Some(b), ..Facts::default() }),
            ])
        };
        let fired = |crossed: Vec<Customer>| {
            crossed.into_iter().map(|c| c.fields.name.as_str().to_owned()).collect::<Vec<_>>()
        };
        // A dry run remembers nothing.
        assert_eq!(fired(store.threshold_crossed(&rule, &risk(0.8, 0.5), true).await.unwrap()), ["甲"]);
        assert_eq!(fired(store.threshold_crossed(&rule, &risk(0.8, 0.5), false).await.unwrap()), ["甲"]);
        assert!(fired(store.threshold_crossed(&rule, &risk(0.9, 0.5), false).await.unwrap()).is_empty());
        assert_eq!(fired(store.threshold_crossed(&rule, &risk(0.6, 0.75), false).await.unwrap()), ["乙"]);
        assert_eq!(fired(store.threshold_crossed(&rule, &risk(0.71, 0.75), false).await.unwrap()), ["甲"]);
    }

    #[test]
    fn a_named_uuid_is_stable_and_differs_by_name() {
        assert_eq!(named_uuid("a/b/c"), named_uuid("a/b/c"));
        assert_ne!(named_uuid("a/b/c"), named_uuid("a/b/d"));
        assert_eq!(named_uuid("x").get_version_num(), 8);
    }
}
