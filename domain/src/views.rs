//! What the server shows the browser besides archives: list rows, search
//! queries, conflicts, audit entries, accounts. Shared wire types.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::UserId;
use crate::policy::{Role, Viewer};

/// The page size lists are capped at, so one request cannot ask for everything.
pub const MAX_PAGE: u32 = 500;

/// What a list or a search asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerQuery {
    /// Matches the name, its pinyin or initials, or phone digits.
    pub text: Option<String>,
    /// Lifecycle stage, snake_case (`lead`, `loyal`, ...).
    pub stage: Option<String>,
    /// Category, snake_case (`vip`, `regular`, ...).
    pub category: Option<String>,
    /// City, exactly.
    pub city: Option<String>,
    /// At most this many (capped at [`MAX_PAGE`]).
    pub limit: u32,
}

/// An archive as a list shows it: no sensitive fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerListItem {
    /// The archive id.
    pub id: String,
    /// The name.
    pub name: String,
    /// Pinyin initials of the name, for search as you type.
    pub initials: String,
    /// Lifecycle stage.
    pub stage: String,
    /// Category.
    pub category: String,
    /// City.
    pub city: Option<String>,
    /// The record keeper.
    pub owner: Option<String>,
    /// The server version it was last changed at.
    pub version: u64,
    /// The archive has an open conflict.
    pub conflicted: bool,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When (RFC 3339, server clock).
    pub at: String,
    /// The server version of the change, for mutations.
    pub version: Option<u64>,
    /// Who.
    pub user: String,
    /// From which client, for mutations.
    pub client: Option<String>,
    /// Which archive.
    pub customer: Option<String>,
    /// The mutation, for changes.
    pub mutation: Option<String>,
    /// What: a change kind (`set_fields`, ...), `export` or `view_sensitive`.
    pub action: String,
    /// Which field, tag or item (`field:phones`, `order:<id>`).
    pub subject: Option<String>,
    /// The value before, as JSON.
    pub old: Option<String>,
    /// The value after, as JSON.
    pub new: Option<String>,
    /// Why, where the person gave a reason (a reassignment).
    #[serde(default)]
    pub reason: Option<String>,
}

/// One open conflict with every value competing in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictView {
    /// `<customer>/<subject>`, as push answers name it.
    pub id: String,
    /// The subject key (`field:phones`, `order:<id>`, `tag:VIP`, `deletion`).
    pub subject: String,
    /// The competing values, the current one first.
    pub candidates: Vec<CandidateView>,
}

/// One competing value and who wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateView {
    /// The value, as JSON.
    pub value: Value,
    /// Who wrote it.
    pub author: String,
    /// Their clock when they wrote it (shown, never used for order).
    pub client_time: i64,
    /// The server version it was applied at.
    pub version: u64,
}

/// A user as the app sees them (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The sign-in name, also the id archives are kept under.
    pub id: UserId,
    /// The name shown to colleagues.
    pub display_name: String,
    /// Rep, manager or admin.
    pub role: Role,
    /// Their team.
    pub team: Option<String>,
    /// Disabled users cannot sign in.
    pub disabled: bool,
    /// When they last signed in (Unix milliseconds), if ever.
    #[serde(default)]
    pub last_sign_in: Option<i64>,
    /// When one of their devices last synced (Unix milliseconds, to within
    /// [`LAST_SYNC_GRAIN_MS`]), if ever.
    #[serde(default)]
    pub last_sync: Option<i64>,
    /// Where mail to them goes (the morning digest, a rule's message), if set.
    #[serde(default)]
    pub email: Option<String>,
    /// They want the morning digest of their reminders by email.
    #[serde(default)]
    pub digest: bool,
}

/// How stale a user's "last synced" may get before a pull writes it again:
/// every device pulls twice a minute, and a write per pull would cost more
/// than the pull.
pub const LAST_SYNC_GRAIN_MS: i64 = 5 * 60 * 1000;

impl User {
    /// The policy's view of this user.
    pub fn viewer(&self) -> Viewer {
        Viewer { user: self.id.clone(), role: self.role, team: self.team.clone() }
    }
}

/// Which archives a bulk reassignment moves: everything one keeper keeps
/// (or the public pool holds), narrowed by the list's filters, or exactly
/// the archives named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Selection {
    /// The keeper whose archives move; none: the public pool's.
    pub keeper: Option<UserId>,
    /// Only this lifecycle stage, snake_case.
    pub stage: Option<String>,
    /// Only this category, snake_case.
    pub category: Option<String>,
    /// Only this city, exactly.
    pub city: Option<String>,
    /// Exactly these archives (ids); when given, the filters above are not used.
    pub ids: Vec<String>,
    /// Only those nobody keeps, even among the ids: handing out of a pool
    /// never takes an archive someone claimed in the meantime.
    pub in_pool: bool,
}

/// What a bulk reassignment did, or would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverReport {
    /// Archives the selection found (that the person may hand over).
    pub selected: u32,
    /// Archives moved (zero for a preview).
    pub moved: u32,
    /// Archives the server refused to move, with the first reason.
    pub refused: u32,
    /// The first refusal's code, if any (`forbidden_owner`, ...).
    pub refusal: Option<String>,
    /// What the first refusal said about fields (a hold limit reached).
    #[serde(default)]
    pub refusal_errors: Vec<crate::FieldError>,
    /// How many each new keeper took, by user name (a round-robin shares
    /// the archives out).
    #[serde(default)]
    pub taken: std::collections::BTreeMap<String, u32>,
}

/// How a handover picks its new keepers and holds to the pools' limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HandoverOptions {
    /// Share the archives out in turn among this team's reps (who have
    /// room under the hold limit) instead of giving all to one person.
    pub round_robin: Option<String>,
    /// Out of a pool: give to keepers at the hold limit all the same
    /// (the reason says why; audited).
    pub over_limit: bool,
}

/// A team as the team page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    /// The team's name.
    pub name: String,
    /// Its members with the number of archives each keeps, managers first.
    pub members: Vec<(User, u32)>,
}

/// What a reader of the audit trail asks for; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    /// One archive.
    pub customer: Option<String>,
    /// One person's actions.
    pub user: Option<String>,
    /// One kind of action (`reassign`, `export`, ...).
    pub action: Option<String>,
    /// From this day on (company time), inclusive.
    pub from: Option<crate::time::Date>,
    /// Up to this day (company time), inclusive.
    pub to: Option<crate::time::Date>,
    /// At most this many, newest first (capped by the server).
    pub limit: u32,
}

/// A likely duplicate pair waiting in the queue, with both archives for
/// the merge screen (only ever sent to someone who sees both in full).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicatePairView {
    /// The pair's key, for merging or dismissing it.
    pub key: String,
    /// How likely (0 to 100).
    pub score: u8,
    /// Why, strongest first.
    pub reasons: Vec<crate::dedup::DuplicateReason>,
    /// One archive.
    pub a: crate::archive::Customer,
    /// The other.
    pub b: crate::archive::Customer,
}

/// What the server tells a rep about a likely duplicate of what they are
/// typing, found anywhere in the archive: why, and who keeps it. The
/// archive itself is named only when the rep may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateHint {
    /// The strongest reason (its value is what the rep typed).
    pub reason: crate::dedup::DuplicateReason,
    /// How likely (0 to 100).
    pub score: u8,
    /// The keeper's name; none for the public pool.
    pub keeper: Option<String>,
    /// The archive's id and name, when the rep may see it.
    pub customer: Option<(String, String)>,
}
