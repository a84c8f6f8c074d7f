//! Periodic review: the admin's review cycles and quiet spell, "reviewed"
//! on a record (offline too), and the words Today uses for archives gone quiet.

mod api;
mod page;
#[cfg(feature = "ssr")]
mod server;
pub(crate) mod texts;

pub use api::{LoadReviewRules, SaveReviewRules, load_review_rules, save_review_rules};
pub use page::{ReviewRulesCard, ReviewedButton};
pub use texts::ReviewTexts;
