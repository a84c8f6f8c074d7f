//! Notifications: the reminders the server's daily run fired to a record
//! keeper (birthdays, maintenance, follow-ups), listed newest first and
//! marked read. Online only: offline, Today lists the same occasions from
//! the device's own archives.

mod api;
mod page;
#[cfg(feature = "ssr")]
mod server;
pub(crate) mod texts;

pub use api::{
    Digest, LoadDigest, MarkNotificationsRead, Notifications, RunRemindersNow, SaveDigest, load_digest,
    load_notifications, mark_notifications_read, run_reminders_now, save_digest,
};
pub use page::{NotificationsPage, UnreadNotifications};
pub use texts::NotificationTexts;
