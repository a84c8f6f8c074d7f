//! Per-value merge of concurrent offline edits.
//!
//! Every editable value (a field, an item, a tag, the deleted flag) is a
//! small multi-value register. Each write carries the server version its
//! author had seen (`base`). A write supersedes the values its author saw
//! (stamped at or below `base`) and the earlier writes of the same client (a
//! rep's second offline edit replaces their first). Values it did not see
//! stay, as rivals: that is a conflict, open until someone writes with a base
//! that covers them (resolving). Rivals with equal content agree: no conflict.
//!
//! Because a write only removes what it saw or what its own client wrote,
//! the set of surviving values does not depend on the order in which the
//! server receives concurrent writes. Which value reads as current while a
//! conflict is open does: the one that was there first stays.

use serde::{Deserialize, Serialize};

use crate::ids::{ClientId, MutationId, UserId};
use crate::time::Timestamp;

/// Who wrote a value and when, in server versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// The server version at which the write was applied.
    pub version: u64,
    /// The server version its author had seen when making it.
    pub base: u64,
    /// The client that made it.
    pub client: ClientId,
    /// The user who made it.
    pub author: UserId,
    /// The mutation that carried it.
    pub mutation: MutationId,
    /// The client's clock when it was made (shown to people, never used for order).
    pub client_time: Timestamp,
}

impl Stamp {
    /// Neither write saw the other: made by different clients, each without
    /// having seen the server version the other was applied at.
    pub fn concurrent_with(&self, other: &Stamp) -> bool {
        self.client != other.client && self.base < other.version && other.base < self.version
    }
}

/// A value competing for a register, with who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate<V> {
    /// The value.
    pub value: V,
    /// Its write.
    pub stamp: Stamp,
}

/// A value with its write and the concurrent values it has not yet beaten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register<V> {
    /// The value that reads as current.
    pub value: V,
    /// Its write.
    pub stamp: Stamp,
    /// Concurrent writes it has not beaten; a conflict when any differs from `value`.
    pub rivals: Vec<Candidate<V>>,
}

/// What a write did to a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The new value is current and nothing competes with it.
    Settled,
    /// The new value joined a conflict (as current or as a rival).
    Conflict,
    /// The new value equals what is there; only bookkeeping changed.
    Unchanged,
}

impl<V: Clone + PartialEq> Register<V> {
    /// A register holding `value`, written by `stamp`.
    pub fn new(value: V, stamp: Stamp) -> Self {
        Self { value, stamp, rivals: Vec::new() }
    }

    /// True while concurrent values with different content compete.
    pub fn in_conflict(&self) -> bool {
        self.rivals.iter().any(|r| r.value != self.value)
    }

    /// Every surviving write, the current one first.
    pub fn candidates(&self) -> impl Iterator<Item = Candidate<&V>> {
        self.writes().map(|(value, stamp)| Candidate { value, stamp: stamp.clone() })
    }

    /// Every surviving write's value and stamp, borrowed: for looking
    /// through them without copying each stamp.
    pub fn writes(&self) -> impl Iterator<Item = (&V, &Stamp)> {
        std::iter::once((&self.value, &self.stamp)).chain(self.rivals.iter().map(|c| (&c.value, &c.stamp)))
    }

    /// Writes `value`, made by someone who had seen server version `base`.
    ///
    /// Concurrent writes of equal content are kept too (they agree, so no
    /// conflict is reported): which writes survive must not depend on the
    /// order they arrived in, or replicas would disagree about who wrote what.
    pub fn write(&mut self, value: V, base: u64, mut stamp: Stamp) -> WriteOutcome {
        stamp.base = base;
        let seen = |s: &Stamp| s.version <= base || s.client == stamp.client;
        let current_superseded = seen(&self.stamp);
        self.rivals.retain(|c| !seen(&c.stamp));
        let unchanged = !current_superseded && self.value == value;

        if current_superseded {
            self.value = value;
            self.stamp = stamp;
        } else {
            self.rivals.push(Candidate { value, stamp });
        }
        if self.in_conflict() {
            WriteOutcome::Conflict
        } else if unchanged {
            WriteOutcome::Unchanged
        } else {
            WriteOutcome::Settled
        }
    }

    /// The distinct surviving values, for comparing replicas regardless of
    /// the order writes arrived in.
    pub fn value_set(&self) -> Vec<&V> {
        let mut values: Vec<&V> = Vec::new();
        for candidate in self.candidates() {
            if !values.contains(&candidate.value) {
                values.push(candidate.value);
            }
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(version: u64, client: ClientId) -> Stamp {
        Stamp {
            version,
            base: 0,
            client,
            author: UserId("u".into()),
            mutation: MutationId::new(),
            client_time: Timestamp(0),
        }
    }

    #[test]
    fn a_write_that_saw_the_current_value_replaces_it() {
        let (a, b) = (ClientId::new(), ClientId::new());
        let mut r = Register::new("x", stamp(1, a));
        assert_eq!(r.write("y", 1, stamp(2, b)), WriteOutcome::Settled);
        assert_eq!(r.value, "y");
    }

    #[test]
    fn a_write_that_did_not_see_the_current_value_conflicts_and_the_current_stays() {
        let (a, b, c) = (ClientId::new(), ClientId::new(), ClientId::new());
        let mut r = Register::new("x", stamp(1, a));
        r.write("y", 1, stamp(2, b));
        assert_eq!(r.write("z", 1, stamp(3, c)), WriteOutcome::Conflict);
        assert_eq!(r.value, "y");
        assert_eq!(r.rivals.len(), 1);
        assert_eq!(r.rivals[0].value, "z");
    }

    #[test]
    fn a_clients_later_edit_never_conflicts_with_its_own_earlier_one() {
        let (a, b) = (ClientId::new(), ClientId::new());
        let mut r = Register::new("x", stamp(1, a));
        r.write("y", 1, stamp(2, b));
        assert_eq!(r.write("y2", 1, stamp(3, b)), WriteOutcome::Settled);
        assert_eq!(r.value, "y2");
    }

    #[test]
    fn an_equal_concurrent_value_is_agreement() {
        let (a, b, c) = (ClientId::new(), ClientId::new(), ClientId::new());
        let mut r = Register::new("x", stamp(1, a));
        r.write("y", 1, stamp(2, b));
        assert_eq!(r.write("y", 1, stamp(3, c)), WriteOutcome::Unchanged);
        assert!(!r.in_conflict());
        assert_eq!(r.value_set(), [&"y"]);
    }

    #[test]
    fn a_write_that_saw_the_conflict_resolves_it() {
        let (a, b, c) = (ClientId::new(), ClientId::new(), ClientId::new());
        let mut r = Register::new("x", stamp(1, a));
        r.write("y", 1, stamp(2, b));
        r.write("z", 1, stamp(3, c));
        assert_eq!(r.write("z", 3, stamp(4, a)), WriteOutcome::Settled);
        assert_eq!(r.value, "z");
        assert!(!r.in_conflict());
    }
}
