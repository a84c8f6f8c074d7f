//! The audit trail, for managers (their team) and admins (everything).

mod api;
#[cfg(feature = "ssr")]
mod server;

pub use api::{ListAudit, list_audit};
