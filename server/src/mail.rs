//! The mail sender: takes due messages from the outbox (one server at a
//! time, by lease) and hands them to the company's SMTP server.
//!
//! A refusal the server means for now (4xx) or no connection at all is
//! tried again later; a refusal for good (5xx) fails the message. A
//! connection that breaks once the message is on its way may have
//! delivered it: that one is held for a person to look at rather than sent
//! twice. Every try keeps the message's Message-ID.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use store::{MailOutcome, OutboxMessage, Store};

/// How often the sender looks for due messages.
const TICK: Duration = Duration::from_secs(15);
/// Messages taken per look.
const BATCH: usize = 20;
/// How long a claimed message stays with its sender: longer than a batch
/// takes; a sender that died frees its messages this long after.
const LEASE_MS: i64 = 10 * 60 * 1000;
/// Longest a conversation with the SMTP server may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where mail goes: the SMTP server and the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `url` (`smtp://host:port`, `smtp://user:pass@host:587?tls=required`,
    /// `smtps://host`) sending as `from` (`客户关怀 <care@example.com>`).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|error| format!("cannot use the SMTP URL: {error}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from =
            from.parse().map_err(|_| format!("'{from}' is not an address like 名字 <care@example.com>"))?;
        Ok(Self { transport, from })
    }

    /// Sends one message; how the try ended.
    async fn send(&self, message: &OutboxMessage) -> MailOutcome {
        let Ok(to) = message.to.parse::<Mailbox>() else {
            return MailOutcome::Permanent(format!("'{}' is not an address", message.to));
        };
        let built = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .message_id(Some(message.message_id.clone()))
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone());
        let email = match built {
            Ok(email) => email,
            Err(error) => return MailOutcome::Permanent(format!("cannot build the message: {error}")),
        };
        // Nothing has left while we cannot even greet the server.
        if let Err(error) = self.transport.test_connection().await {
            return MailOutcome::Temporary(format!("cannot reach the mail server: {error}"));
        }
        match self.transport.send(email).await {
            Ok(_) => MailOutcome::Sent,
            Err(error) if error.is_transient() || error.is_tls() => MailOutcome::Temporary(error.to_string()),
            Err(error) if error.is_permanent() || error.is_client() => {
                MailOutcome::Permanent(error.to_string())
            }
            Err(error) => MailOutcome::Uncertain(error.to_string()),
        }
    }
}

/// Sends the messages due at `now` (ms since the epoch), as `holder`; how
/// many it tried.
pub async fn send_due(
    store: &Store,
    mailer: &Mailer,
    holder: &str,
    sender: &mut store::CareSender,
    now: i64,
) -> usize {
    let claimed = match store.claim_mail(holder, now, BATCH, LEASE_MS).await {
        Ok(claimed) => claimed,
        Err(error) => {
            tracing::warn!(%error, "cannot take messages from the outbox");
            return 0;
        }
    };
    for message in &claimed {
        let outcome = mailer.send(message).await;
        match store.mail_tried(&message.key, holder, now, &outcome).await {
            Ok(status) => {
                tracing::info!(key = %message.key, ?status, ?outcome, "mail tried");
                if outcome == MailOutcome::Sent
                    && let Err(error) = store.note_care_sent(sender, message).await
                {
                    tracing::warn!(%error, key = %message.key, "sent, but not noted on the record");
                }
            }
            Err(error) => tracing::warn!(%error, key = %message.key, "cannot record how a mail try ended"),
        }
    }
    claimed.len()
}

/// Starts sending; the task ends when the returned handle is aborted.
pub fn start(store: Store, mailer: Mailer) -> tokio::task::JoinHandle<()> {
    let holder = uuid::Uuid::now_v7().to_string();
    tokio::spawn(async move {
        let mut sender = store::CareSender::new();
        loop {
            // A full batch means more may be waiting: look again at once.
            while send_due(&store, &mailer, &holder, &mut sender, store::now_millis()).await == BATCH {}
            tokio::time::sleep(TICK).await;
        }
    })
}
