//! The sync protocol: its wire types (what a push answers and a pull
//! returns), the pull cookie, and the steps of a device's sync round.
//! Shared by the browser, the server and the simulation, so all three read
//! the same shapes and devices everywhere run the same round.

mod cookie;
mod pulled_wire;
mod round;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use cookie::Cookie;
pub use round::{Answer, Problem, Progress, Request, Round};

use crate::FieldError;
use crate::archive::Customer;
use crate::custom_field::CustomFields;
use crate::dedup::SearchKeys;
use crate::ids::{CustomerId, MutationId, UserId};

/// Most mutations in one push.
pub const MAX_BATCH: usize = 500;
/// Most changes in one pull page.
pub const MAX_PULL_PAGE: u32 = 1000;

/// What became of one pushed mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Took effect at `version`.
    Applied {
        /// The server version it was stamped with.
        version: u64,
    },
    /// Took effect at `version` and left values in conflict.
    Conflict {
        /// The server version it was stamped with.
        version: u64,
        /// The conflicts it opened or joined (`<customer>/<subject>`).
        conflicts: Vec<String>,
    },
    /// Refused; nothing of it took effect.
    Rejected {
        /// A stable code the UI translates (`invalid`, `forbidden.sensitive`, ...).
        code: String,
        /// Per-field errors when the code is `invalid`.
        errors: Vec<FieldError>,
        /// Who has the archive, when a claim came too late.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<UserId>,
    },
}

/// The answer for one pushed mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationResult {
    /// The mutation.
    pub id: MutationId,
    /// Its sequence number.
    pub seq: u64,
    /// What became of it.
    pub outcome: Outcome,
}

/// The answer to a push: one result per mutation, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReply {
    /// One per pushed mutation.
    pub results: Vec<MutationResult>,
    /// The highest sequence number of this client the server has taken.
    pub last_seq: u64,
    /// Display names of the people refusals name (who claimed first), so
    /// the device shows a name it may never have pulled.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<UserId, String>,
}

/// One change in a pull. Read by hand (see `pulled_wire`): a derived reader
/// of a tagged enum holds each archive in an intermediate tree first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Pulled {
    /// The archive as it now is (masked when `masked`).
    Put {
        /// The archive.
        customer: Box<Customer>,
        /// Sensitive fields are hidden from this user.
        masked: bool,
        /// The name's pinyin and initials, which the browser cannot compute.
        #[serde(default)]
        keys: SearchKeys,
    },
    /// The archive is gone for this user: deleted, merged away, or out of reach.
    Delete {
        /// Which.
        id: CustomerId,
        /// The version at which it went.
        version: u64,
    },
}

/// One page of a pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullPage {
    /// Changes in version order.
    pub changes: Vec<Pulled>,
    /// Where the next pull starts; never moves backwards.
    pub cookie: Cookie,
    /// More changes are waiting: pull again with the new cookie.
    pub more: bool,
    /// The cookie sent was unknown or from another database: the client
    /// must drop its cached archives (not its outbox) and take these instead.
    pub reset: bool,
    /// The newest version on the server when this page was read, so a client
    /// can show how far a long first pull has come.
    #[serde(default)]
    pub head: u64,
    /// Display names of the people this page's archives name (keepers,
    /// those shared with, authors of changes), so a device shows names, not
    /// sign-in ids, offline too. Nobody else's name travels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<UserId, String>,
    /// The company's custom field definitions, when they changed after the
    /// cookie sent (or on a first pull), so devices check and show custom
    /// values offline with the definitions the server uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<CustomFields>,
    /// The company's review rules, when they changed after the cookie sent
    /// (or on a first pull), so "reviewed" and the quiet list work offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_rules: Option<crate::review::ReviewRules>,
    /// Every pool's rules, when they changed after the cookie sent, so a
    /// rep's Today warns of recycles offline with the server's numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_rules: Option<crate::pool::PoolSettings>,
    /// The company's time zone, when it changed after the cookie sent, so a
    /// device names the company's day (China time until a pull says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<crate::time::Zone>,
}
