//! The audit trail: the audit page for managers (their team) and admins
//! (everything), and each record's history of changes for whoever sees it.

mod api;
pub(crate) mod describe;
mod page;
#[cfg(feature = "ssr")]
mod server;
pub(crate) mod texts;

pub use api::{
    CustomerHistory, ExportAudit, ListAudit, SearchAudit, customer_history, export_audit, list_audit,
    search_audit,
};
pub use page::{AuditEntries, AuditPage};
pub use texts::AuditTexts;
