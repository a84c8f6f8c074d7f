//! Mutations: the only way an archive changes, in the browser and on the server.

use serde::{Deserialize, Serialize};

mod change_wire;

use crate::archive::{Contact, Feedback, FieldValue, Fields, Interaction, ItemKind, Order, Task};
use crate::custom_field::CustomEdit;
use crate::ids::{ClientId, CustomerId, ItemId, MutationId, UserId};
use crate::time::Timestamp;

/// One change to one archive, as a client made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mutation {
    /// Made on the client (UUIDv7).
    pub id: MutationId,
    /// The client that made it.
    pub client: ClientId,
    /// The client's counter: 1, 2, 3, ... with no gaps.
    pub seq: u64,
    /// Who made it.
    pub author: UserId,
    /// The client's clock when it was made; shown to people, never used for order.
    pub client_time: Timestamp,
    /// The archive it changes.
    pub customer: CustomerId,
    /// What it does.
    pub change: Change,
}

/// A new value for one field, with the server version its author had seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldEdit {
    /// The field and its new value.
    pub value: FieldValue,
    /// The server version of the archive the author was looking at.
    pub base: u64,
}

/// What a mutation does. Items (contacts, orders, ...) are put whole: a put
/// of a new id appends (appends never conflict), a put of an existing id edits.
/// Read by hand (see `change_wire`): a derived reader of a tagged enum holds
/// each change in an intermediate tree first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// Creates the archive.
    Create {
        /// Its initial facts.
        fields: Box<Fields>,
    },
    /// Edits scalar fields.
    SetFields {
        /// One edit per field.
        edits: Vec<FieldEdit>,
    },
    /// Edits custom fields (see [`crate::custom_field`]).
    SetCustom {
        /// One edit per field.
        edits: Vec<CustomEdit>,
    },
    /// Settles conflicts by writing the chosen value with a base that covers
    /// every competing value. Applied like an edit; recorded as a resolution.
    ResolveConflict {
        /// The chosen values.
        edits: Vec<FieldEdit>,
    },
    /// Hands the archive to another record keeper (or to the public pool).
    Reassign {
        /// The new owner; none puts it in the public pool.
        owner: Option<UserId>,
        /// The version the author had seen.
        base: u64,
        /// Why, in the words of whoever moved it; the audit trail keeps it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// With no new owner: the team whose pool takes it (none: the
        /// company pool).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
        /// Out of a pool: the author knowingly lets the new keeper hold
        /// more than the pool's hold limit. Needs a reason; audited.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        over_limit: bool,
    },
    /// Takes the archive from the pool for its author, if nobody has it
    /// yet and the pool's rules allow (see [`crate::pool::check_claim`]).
    Claim {
        /// The version the author had seen.
        base: u64,
    },
    /// Sends an archive its keeper neglected back to the pool, by a recycle
    /// rule; refused if it has another keeper by now or the rule no longer
    /// holds (see [`crate::pool::recycle_date`]).
    Recycle {
        /// The keeper it is taken from.
        keeper: UserId,
        /// The team whose pool takes it (none: the company pool).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
        /// The rule's place in its pool's list, for the reason shown.
        rule: u32,
        /// The version the run had seen.
        base: u64,
    },
    /// Adds a tag.
    AddTag {
        /// The tag.
        tag: String,
        /// The version the author had seen.
        base: u64,
    },
    /// Removes a tag.
    RemoveTag {
        /// The tag.
        tag: String,
        /// The version the author had seen.
        base: u64,
    },
    /// Adds or edits a contact.
    PutContact {
        /// Its id (new for an add).
        id: ItemId,
        /// Its content.
        contact: Contact,
        /// The version the author had seen.
        base: u64,
    },
    /// Adds or edits an order.
    PutOrder {
        /// Its id (new for an add).
        id: ItemId,
        /// Its content.
        order: Order,
        /// The version the author had seen.
        base: u64,
    },
    /// Adds or edits an interaction.
    PutInteraction {
        /// Its id (new for an add).
        id: ItemId,
        /// Its content.
        interaction: Interaction,
        /// The version the author had seen.
        base: u64,
    },
    /// Adds or edits feedback.
    PutFeedback {
        /// Its id (new for an add).
        id: ItemId,
        /// Its content.
        feedback: Feedback,
        /// The version the author had seen.
        base: u64,
    },
    /// Adds or edits a task.
    PutTask {
        /// Its id (new for an add).
        id: ItemId,
        /// Its content.
        task: Task,
        /// The version the author had seen.
        base: u64,
    },
    /// Removes an item (it is kept, hidden).
    RemoveItem {
        /// Which list.
        kind: ItemKind,
        /// Which item.
        id: ItemId,
        /// The version the author had seen.
        base: u64,
    },
    /// Deletes the archive (it is kept, hidden).
    Delete {
        /// The version the author had seen.
        base: u64,
    },
    /// Merges the archive `from` into this one (see [`crate::apply::apply_merge`]):
    /// every item and tag of both is kept, empty fields here are filled from
    /// `from`, phones and emails are united, and `from` is deleted.
    Merge {
        /// The archive merged away.
        from: CustomerId,
        /// The version the author had seen.
        base: u64,
        /// Values the person chose field by field (say the other archive's
        /// newer phone), written over what the merge would keep.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        edits: Vec<FieldEdit>,
    },
    /// Brings a deleted archive back.
    Restore {
        /// The version the author had seen.
        base: u64,
    },
}

/// Numbers a client's mutations: one per browser install (or other client),
/// counting 1, 2, 3, ... with no gaps, as the server expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequencer {
    /// The client.
    pub client: ClientId,
    /// Who is signed in on it.
    pub author: UserId,
    /// The last sequence number handed out.
    pub last_seq: u64,
}

impl Sequencer {
    /// A new client for `author`, with a fresh id.
    pub fn new(author: UserId) -> Self {
        Self { client: ClientId::new(), author, last_seq: 0 }
    }

    /// The next mutation of this client.
    pub fn next(&mut self, customer: CustomerId, change: Change, client_time: Timestamp) -> Mutation {
        self.last_seq += 1;
        Mutation {
            id: MutationId::new(),
            client: self.client,
            seq: self.last_seq,
            author: self.author.clone(),
            client_time,
            customer,
            change,
        }
    }
}
