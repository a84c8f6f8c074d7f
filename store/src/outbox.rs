//! The outbox: every message that leaves the system (care emails now,
//! webhooks later) is a row here first, written by whatever caused it.
//! A sender claims due rows with a lease, so one server sends each; it
//! retries a temporary failure with back-off, and never resends one the
//! mail server may already have accepted (that one waits for a person).

use domain::Change;
use domain::archive::{Interaction, InteractionKind};
use domain::care::CareSettings;
use domain::ids::{ClientId, CustomerId, ItemId, UserId};
use domain::mutation::Sequencer;
pub use domain::outbox::{MailStatus, OutboxMessage, OutboxView};
use domain::policy::{self, Role, Viewer};
use domain::time::Timestamp;
use serde::Deserialize;

use crate::custom_fields::{SettingChange, SettingRow};
use crate::query::{take_all, take_one};
use crate::{SYSTEM_USER, Store, StoreError};

/// Tries before a message is given up as failed.
pub const MAX_ATTEMPTS: u32 = 6;
/// The right-hand side of every Message-ID the system makes.
const MESSAGE_ID_DOMAIN: &str = "crm.invalid";
/// Rows of each kind the admin's outbox view lists.
const LISTED: i64 = 100;

/// How long after the `attempts`-th failed try the next one comes.
pub fn retry_delay_ms(attempts: u32) -> i64 {
    const MINUTE: i64 = 60_000;
    match attempts {
        0 | 1 => MINUTE,
        2 => 5 * MINUTE,
        3 => 30 * MINUTE,
        4 => 2 * 60 * MINUTE,
        _ => 6 * 60 * MINUTE,
    }
}

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// Its key (a second message with the key is not queued).
    pub key: String,
    /// What caused it.
    pub kind: &'static str,
    /// The archive it is about.
    pub customer: Option<String>,
    /// The address.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// Not before this instant (quiet hours).
    pub not_before: i64,
    /// The calendar month it counts in (`2026-12`), for the monthly cap.
    pub month: String,
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

const COLUMNS: &str = "record::id(id) AS key, kind, customer, to, subject, body, message_id, status, attempts, \
                       last_error, created_at, sent_at";

impl Store {
    /// Queues `mails` (those whose key is not queued already); how many.
    /// Each gets a Message-ID it keeps across tries.
    pub async fn queue_mail(&self, mails: &[NewMail]) -> Result<usize, StoreError> {
        if mails.is_empty() {
            return Ok(0);
        }
        let now = crate::now_millis();
        let rows: Vec<serde_json::Value> = mails
            .iter()
            .map(|m| {
                serde_json::json!({
                    "key": m.key, "kind": m.kind, "customer": m.customer, "to": m.to,
                    "subject": m.subject, "body": m.body, "month": m.month,
                    "message_id": format!("<{}@{MESSAGE_ID_DOMAIN}>", uuid::Uuid::now_v7()),
                    "status": "queued", "attempts": 0, "next_at": m.not_before,
                    "lease_until": 0, "created_at": now,
                })
            })
            .map(crate::query::without_nulls)
            .collect();
        let mut response = self
            .db
            .query(
                "INSERT IGNORE INTO outbox
                   array::map($rows, |$r| object::extend(object::remove($r, 'key'), { id: type::record('outbox', $r.key) }))
                 RETURN id",
            )
            .bind(("rows", rows))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        let written: Vec<serde_json::Value> = take_all(&mut response, 0)?;
        Ok(written.len())
    }

    /// Care messages queued, sent or held for each of `customers` in
    /// `month` (those with none are absent).
    pub(crate) async fn care_sent_in(
        &self,
        customers: Vec<String>,
        month: &str,
    ) -> Result<std::collections::HashMap<String, u32>, StoreError> {
        #[derive(Deserialize)]
        struct PerCustomer {
            customer: String,
            n: u32,
        }
        let mut response = self
            .db
            .query(
                "SELECT customer, count() AS n FROM outbox
                 WHERE customer IN $customers AND month = $month AND status IN ['queued', 'sent', 'uncertain']
                 GROUP BY customer",
            )
            .bind(("customers", customers))
            .bind(("month", month.to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<PerCustomer> = take_all(&mut response, 0)?;
        Ok(rows.into_iter().map(|r| (r.customer, r.n)).collect())
    }

    /// Takes up to `limit` messages due at `now` for `holder`, until
    /// `lease_ms` later. Another server claiming at the same moment gets
    /// none of them.
    pub async fn claim_mail(
        &self,
        holder: &str,
        now: i64,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let result = self
            .db
            .query(format!(
                "BEGIN TRANSACTION;
                 LET $due = SELECT VALUE id FROM outbox
                   WHERE status = 'queued' AND next_at <= $now AND lease_until < $now ORDER BY next_at, id LIMIT $limit;
                 UPDATE $due SET holder = $holder, lease_until = $until;
                 COMMIT TRANSACTION;
                 SELECT {COLUMNS} FROM outbox WHERE holder = $holder AND lease_until = $until AND status = 'queued';"
            ))
            .bind(("now", now))
            .bind(("until", now + lease_ms))
            .bind(("holder", holder.to_owned()))
            .bind(("limit", limit as i64))
            .await
            .and_then(crate::error::explain);
        match result {
            Ok(mut response) => {
                let index = response.num_statements() - 1;
                take_all(&mut response, index)
            }
            Err(error) if crate::sync::retryable(&error) => Ok(Vec::new()),
            Err(error) => Err(StoreError::from_db(error)),
        }
    }

    /// Records the outcome of a try by `holder` and lets go of the lease:
    /// sent, or failed with `error` (tried again later when `temporary`
    /// and tries are left; held for a person when `uncertain`).
    /// `now` is when the try ended; a retry is due a back-off after it.
    pub async fn mail_tried(
        &self,
        key: &str,
        holder: &str,
        now: i64,
        outcome: &MailOutcome,
    ) -> Result<MailStatus, StoreError> {
        let mut response = self
            .db
            .query("SELECT VALUE attempts FROM type::record('outbox', $key)")
            .bind(("key", key.to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        let attempts = take_one::<i64>(&mut response, 0)?.unwrap_or(0) as u32 + 1;
        let (status, error, next_at) = match outcome {
            MailOutcome::Sent => (MailStatus::Sent, None, now),
            MailOutcome::Temporary(error) if attempts < MAX_ATTEMPTS => {
                (MailStatus::Queued, Some(error.as_str()), now + retry_delay_ms(attempts))
            }
            MailOutcome::Temporary(error) | MailOutcome::Permanent(error) => {
                (MailStatus::Failed, Some(error.as_str()), now)
            }
            MailOutcome::Uncertain(error) => (MailStatus::Uncertain, Some(error.as_str()), now),
        };
        self.db
            .query(
                "UPDATE type::record('outbox', $key) SET status = $status, attempts = $attempts,
                   last_error = $error, next_at = $next_at, lease_until = 0, holder = NONE,
                   sent_at = IF $status = 'sent' { $now } ELSE { sent_at }
                 WHERE holder = $holder",
            )
            .bind(("key", key.to_owned()))
            .bind(("status", crate::wire_name(&status)))
            .bind(("attempts", i64::from(attempts)))
            .bind(("error", error.map(str::to_owned)))
            .bind(("next_at", next_at))
            .bind(("now", now))
            .bind(("holder", holder.to_owned()))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(status)
    }

    /// Notes on the archive that a care message went to the customer: an
    /// email interaction by the system, pushed like any change, so the
    /// keeper's devices see it.
    pub async fn note_care_sent(
        &self,
        sender: &mut CareSender,
        message: &OutboxMessage,
    ) -> Result<(), StoreError> {
        let Some(customer) = message.customer.as_deref().and_then(|c| c.parse::<CustomerId>().ok()) else {
            return Ok(());
        };
        let now = Timestamp(crate::now_millis());
        let interaction = Interaction {
            kind: InteractionKind::Email,
            at: now,
            summary: message.subject.clone(),
            satisfaction: None,
            next_follow_up: None,
        };
        let change = Change::PutInteraction { id: ItemId::new(), interaction, base: 0 };
        let mutation = sender.0.next(customer, change, now);
        let system = Viewer { user: UserId(SYSTEM_USER.into()), role: Role::Admin, team: None };
        let reply = self.push(&system, sender.0.client, &[mutation], crate::today()).await?;
        if let Some(crate::Outcome::Rejected { code, .. }) = reply.results.first().map(|r| &r.outcome) {
            tracing::warn!(customer = %customer, %code, "the care interaction was refused");
        }
        Ok(())
    }

    /// The admin's view: counts, and the messages that need a person.
    pub async fn outbox(&self, viewer: &Viewer) -> Result<OutboxView, StoreError> {
        if !policy::may_run_automation(viewer) {
            return Err(StoreError::Forbidden("automation.forbidden".into()));
        }
        let mut response = self
            .db
            .query(format!(
                "SELECT count() AS n FROM outbox WHERE status = 'queued' GROUP ALL;
                 SELECT count() AS n FROM outbox WHERE status = 'sent' GROUP ALL;
                 SELECT {COLUMNS} FROM outbox WHERE status IN ['failed', 'uncertain'] ORDER BY created_at DESC LIMIT $listed;"
            ))
            .bind(("listed", LISTED))
            .await
            .map_err(StoreError::from_db)?;
        let queued: Option<Count> = take_one(&mut response, 0)?;
        let sent: Option<Count> = take_one(&mut response, 1)?;
        let problems = take_all(&mut response, 2)?;
        Ok(OutboxView { queued: queued.map_or(0, |c| c.n), sent: sent.map_or(0, |c| c.n), problems })
    }

    /// Puts a failed or uncertain message back in the queue, as an admin
    /// who has looked at it: it is tried at once, with its Message-ID.
    pub async fn retry_mail(&self, viewer: &Viewer, key: &str) -> Result<(), StoreError> {
        if !policy::may_run_automation(viewer) {
            return Err(StoreError::Forbidden("automation.forbidden".into()));
        }
        let mut response = self
            .db
            .query(
                "UPDATE type::record('outbox', $key) SET status = 'queued', attempts = 0, next_at = $now
                 WHERE status IN ['failed', 'uncertain'] RETURN AFTER",
            )
            .bind(("key", key.to_owned()))
            .bind(("now", crate::now_millis()))
            .await
            .map_err(StoreError::from_db)?;
        let changed: Vec<serde_json::Value> = take_all(&mut response, 0)?;
        if changed.is_empty() {
            return Err(StoreError::NotFound);
        }
        tracing::info!(user = %viewer.user, key, "mail queued again by hand");
        Ok(())
    }

    /// How the company sends care messages (never saved: the defaults).
    pub async fn care_settings(&self) -> Result<CareSettings, StoreError> {
        let mut response =
            self.db.query("SELECT doc, version FROM setting:care").await.map_err(StoreError::from_db)?;
        let row: Option<SettingRow> = take_one(&mut response, 0)?;
        row.map_or_else(|| Ok(CareSettings::default()), |r| r.care_settings())
    }

    /// Replaces the care settings, as an admin; audited.
    pub async fn save_care_settings(
        &self,
        viewer: &Viewer,
        settings: &CareSettings,
    ) -> Result<CareSettings, StoreError> {
        if !policy::may_run_automation(viewer) {
            return Err(StoreError::Forbidden("automation.forbidden".into()));
        }
        settings.check().map_err(StoreError::Invalid)?;
        let before = self.care_settings().await?;
        let stored = |s: &CareSettings| serde_json::to_string(&CareSettings { version: 0, ..s.clone() });
        let doc = stored(settings).map_err(|_| StoreError::Other)?;
        let old = stored(&before).map_err(|_| StoreError::Other)?;
        let change =
            SettingChange { key: "care", new: doc.clone(), doc, action: "care_settings", subject: None, old };
        self.save_setting(&viewer.user, change).await?.care_settings()
    }
}

/// How one try to send a message ended, with the reason when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    /// Accepted by the mail server.
    Sent,
    /// Refused for now (a 4xx answer, no connection): tried again later.
    Temporary(String),
    /// Refused for good (a 5xx answer, a bad address).
    Permanent(String),
    /// Broke off after the message went out.
    Uncertain(String),
}

/// The author of the interactions that say a care message went out: the
/// system, on a client of its own per sender.
#[derive(Debug)]
pub struct CareSender(Sequencer);

impl CareSender {
    /// A sender with a fresh client id.
    pub fn new() -> Self {
        Self(Sequencer { client: ClientId::new(), author: UserId(SYSTEM_USER.into()), last_seq: 0 })
    }
}

impl Default for CareSender {
    fn default() -> Self {
        Self::new()
    }
}

impl SettingRow {
    pub(crate) fn care_settings(&self) -> Result<CareSettings, StoreError> {
        let mut settings: CareSettings = serde_json::from_str(&self.doc).map_err(|error| {
            tracing::error!(%error, "stored care settings do not parse");
            StoreError::Other
        })?;
        settings.version = self.version as u64;
        Ok(settings)
    }
}
