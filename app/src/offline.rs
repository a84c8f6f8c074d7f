//! The device side of sync: the rep's portfolio cached in localStorage, the
//! outbox every change goes into first, and the loop that pushes and pulls.
//!
//! Pages never call `push` themselves: they record a change here, which
//! checks it, stores it and shows it, and the loop sends it when it can.
//! Nothing here runs on the server: the replica opens after hydration.

mod badge;
mod describe;
mod engine;
mod js;
mod page;
mod shelf;
mod worker;

pub use badge::SyncBadge;
pub use describe::{
    change_summary, consent_summary, describe_value, field_label, item_label, preferences_summary,
};
pub use engine::{Offline, Problem, SyncStatus, now_ms, today, use_offline};
pub use js::{function, property};
pub use page::SyncPage;
pub use worker::register_service_worker;
