//! `/quality`: how complete the archives a manager or admin runs are, field
//! by field and team by team, and which values today's rules refuse, with
//! links to the records to put right.

mod api;
mod page;
#[cfg(feature = "ssr")]
mod server;
pub(crate) mod texts;

pub use api::{LoadQualityReport, load_quality_report};
pub use page::QualityPage;
pub use texts::QualityTexts;
