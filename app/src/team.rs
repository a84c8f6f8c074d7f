//! Running the team: who is in which team and keeps how much, and moving
//! archives between keepers in bulk (a departing rep's whole portfolio, or
//! what a filter selects), for managers and admins.

mod api;
mod page;
#[cfg(feature = "ssr")]
mod server;
pub(crate) mod texts;

pub use api::{Handover, ListTeams, handover, list_teams};
pub use page::TeamPage;
pub use texts::TeamTexts;
