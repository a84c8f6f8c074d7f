//! What the outbox holds, as the admin's page and the sender see it: every
//! message that leaves the system is a row in the outbox first.

use serde::{Deserialize, Serialize};

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Waiting to be sent (or to be tried again).
    Queued,
    /// The mail server accepted it.
    Sent,
    /// Refused for good, or given up after [`MAX_ATTEMPTS`].
    Failed,
    /// The connection broke after the message went out: it may have been
    /// accepted, so it is not sent again unless a person says so.
    Uncertain,
}

/// A message as the sender and the admin's view see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Its key: names what caused it, so a cause queues one message.
    pub key: String,
    /// What caused it (`care_birthday`).
    pub kind: String,
    /// The archive it is about, if one.
    pub customer: Option<String>,
    /// The address.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// Kept across tries, so a receiving server can tell a retry.
    pub message_id: String,
    /// Where it stands.
    pub status: MailStatus,
    /// Tries so far.
    pub attempts: u32,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// When it was queued (ms since the epoch).
    pub created_at: i64,
    /// When the mail server accepted it.
    pub sent_at: Option<i64>,
}

/// The admin's view of the outbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxView {
    /// Messages waiting.
    pub queued: u64,
    /// Messages sent.
    pub sent: u64,
    /// The newest failed and uncertain messages, for a person to look at.
    pub problems: Vec<OutboxMessage>,
}
