//! Duplicates across the whole archive: the queue of likely pairs, a sweep
//! over every archive, and the merge screen, for managers and admins.

mod api;
mod merge;
mod page;
#[cfg(feature = "ssr")]
mod server;
pub(crate) mod texts;

pub use api::{DismissPair, DuplicatePair, DuplicateQueue, MergePair, SweepDuplicates};
pub use merge::MergePage;
pub use page::DuplicatesPage;
pub use texts::DuplicatesTexts;
