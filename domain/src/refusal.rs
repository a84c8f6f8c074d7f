//! Why a change was refused: the one list of codes a device or the server
//! answers with when it will not apply a change. The code travels as text
//! (`customer.not_found`), so an answer stored by an older version still
//! reads; the interface has a message for every code on this list.

macro_rules! refusals {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)*) => {
        /// One reason a change is refused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Refusal {
            $($(#[$doc])* $variant,)*
        }

        impl Refusal {
            /// Every refusal, for tests that check each has a message.
            pub const ALL: &'static [Refusal] = &[$(Refusal::$variant,)*];

            /// The stable code on the wire.
            pub fn code(self) -> &'static str {
                match self {
                    $(Refusal::$variant => $code,)*
                }
            }

            /// The refusal a wire code names, if it is one this version knows.
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some(Refusal::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

refusals! {
    /// Some fields break a rule; the field errors say which.
    Invalid => "invalid",
    /// A create for an archive that exists.
    CustomerExists => "customer.exists",
    /// A change addressed to another archive than the one given.
    CustomerMismatch => "customer.mismatch",
    /// The archive does not exist or is out of the author's reach.
    CustomerNotFound => "customer.not_found",
    /// A field edit that edits nothing.
    EditsEmpty => "edits.empty",
    /// The author may not make this change.
    Forbidden => "forbidden",
    /// The change claims another author than the one signed in.
    ForbiddenAuthor => "forbidden.author",
    /// Only the record keeper (or their manager) may do this.
    ForbiddenOwner => "forbidden.owner",
    /// The author may not change sensitive fields of this archive.
    ForbiddenSensitive => "forbidden.sensitive",
    /// The contact, order or other item does not exist.
    ItemNotFound => "item.not_found",
    /// One of the archives to merge is deleted.
    MergeDeleted => "merge.deleted",
    /// A merge needs both archives at hand.
    MergeNeedsBothArchives => "merge.needs_both_archives",
    /// The change given as a merge is not one.
    MergeNotAMerge => "merge.not_a_merge",
    /// An archive cannot be merged into itself.
    MergeSameArchive => "merge.same_archive",
    /// The new record keeper is not an active user.
    OwnerUnknown => "owner.unknown",
    /// The refused change to retry or drop is gone already.
    RefusedNotFound => "refused.not_found",
    /// The device's store is not open (signed out, or storage unavailable).
    ReplicaClosed => "replica.closed",
    /// The archive is shared with someone who is not an active colleague.
    SharedWithUnknown => "shared_with.unknown",
    /// The server lost track of what became of this change.
    SyncUnknownOutcome => "sync.unknown_outcome",
    /// Someone else claimed the archive first (the rejection names them).
    PoolClaimed => "pool.claimed",
    /// A claim the pool's rules do not allow now (the error says which).
    PoolRules => "pool.rules",
    /// The archive a recycle was for has another keeper by now, or is gone.
    PoolMoved => "pool.moved",
    /// The archive is not due to go back to the pool (any more).
    PoolNotDue => "pool.not_due",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_its_refusal() {
        for refusal in Refusal::ALL {
            assert_eq!(Refusal::parse(refusal.code()), Some(*refusal));
        }
        assert_eq!(Refusal::parse("no.such_code"), None);
    }
}
