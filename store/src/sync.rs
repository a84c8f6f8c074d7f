//! Push and pull: the server side of the sync protocol.
//!
//! Order comes from one counter row (`counter:sync`). A push reads the
//! counter, applies its batch in memory with the shared domain code, and
//! commits everything in one transaction that first checks the counter has
//! not moved and then advances it. Two pushes racing on any number of app
//! servers therefore cannot both commit: the loser's transaction fails (the
//! check, or the engine's write conflict on the counter row) and it starts
//! again from fresh state. Versions are unique, and a change with a lower
//! version is always committed before one with a higher version is visible,
//! so a pull, which reads the counter and the rows in one snapshot, never
//! skips a change.

mod follow;
mod pull;
mod push;
mod rows;
mod team_change;

use serde::Deserialize;

pub use domain::archive::wire_name;
pub use domain::sync::{MAX_BATCH, MAX_PULL_PAGE, MutationResult, Outcome, PullPage, Pulled, PushReply};
pub(crate) use pull::{PullRow, seen_by};
pub use push::{Notice, PushGroups};
pub(crate) use push::{PushQueue, mutation_key, retryable};
pub(crate) use rows::{customer_row, keys_row, placement as placement_of};

/// The sync counter: the last version given out, in this life of the database.
#[derive(Deserialize)]
struct CounterRow {
    current: i64,
    epoch: String,
}
