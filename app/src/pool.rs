//! The public pool (公海) on the device: the archives of the pools a person
//! may claim from (their pull brings them, masked), claiming one (offline
//! too: it waits as requested until the server confirms or refuses it),
//! releasing one's own, Today's warnings before a recycle, and the rules
//! form for whoever runs a pool.

mod api;
mod assign;
mod page;
mod rules;
#[cfg(feature = "ssr")]
mod server;
pub(crate) mod texts;

pub use api::{
    LoadPoolRules, PreviewRecycle, RecyclePreview, SavePoolRules, load_pool_rules, preview_recycle,
    save_pool_rules,
};
pub use page::{PoolPage, RecycleWarnings, ReleaseForm, claim, use_recycle_warnings};
pub use rules::PoolRulesCard;
pub use texts::PoolTexts;
