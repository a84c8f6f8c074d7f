//! Per-value merge of concurrent offline edits.
//!
//! Every editable value (a field, an item, a tag, the deleted flag) is a
//! small multi-value register. Each write carries the server version its
//! author had seen (`base`). A write supersedes the values its author saw
//! (stamped at or below `base`) and the earlier writes of the same client (a
//! rep's second offline edit replaces their first). Values it did not see
//! stay, as rivals: that is a conflict, open until someone writes with a base
//! that covers them (resolving). Equal values never conflict.
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
    /// The client that made it.
    pub client: ClientId,
    /// The user who made it.
    pub author: UserId,
    /// The mutation that carried it.
    pub mutation: MutationId,
    /// The client's clock when it was made (shown to people, never used for order).
    pub client_time: Timestamp,
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
    /// Concurrent values with a different content; non-empty means a conflict.
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

    /// True while concurrent values compete.
    pub fn in_conflict(&self) -> bool {
        !self.rivals.is_empty()
    }

    /// Every surviving candidate, the current one first.
    pub fn candidates(&self) -> impl Iterator<Item = Candidate<&V>> {
        std::iter::once(Candidate { value: &self.value, stamp: self.stamp.clone() })
            .chain(self.rivals.iter().map(|c| Candidate { value: &c.value, stamp: c.stamp.clone() }))
    }

    /// Writes `value`, made by someone who had seen server version `base`.
    pub fn write(&mut self, value: V, base: u64, stamp: Stamp) -> WriteOutcome {
        let seen = |s: &Stamp| s.version <= base || s.client == stamp.client;
        let current_superseded = seen(&self.stamp);
        self.rivals.retain(|c| !seen(&c.stamp));

        if current_superseded {
            self.value = value;
            self.stamp = stamp;
        } else if self.value == value {
            // The same content twice is agreement, not a conflict.
            return self.settle_duplicates();
        } else {
            self.rivals.push(Candidate { value, stamp });
        }
        self.settle_duplicates()
    }

    /// Drops rivals whose content equals the current value or an earlier
    /// rival's, keeping the first write of each content.
    fn settle_duplicates(&mut self) -> WriteOutcome {
        let mut kept: Vec<Candidate<V>> = Vec::with_capacity(self.rivals.len());
        for rival in std::mem::take(&mut self.rivals) {
            if rival.value != self.value && !kept.iter().any(|k| k.value == rival.value) {
                kept.push(rival);
            }
        }
        self.rivals = kept;
        if self.rivals.is_empty() { WriteOutcome::Settled } else { WriteOutcome::Conflict }
    }

    /// The distinct surviving values, for comparing replicas regardless of
    /// the order writes arrived in.
    pub fn value_set(&self) -> Vec<&V> {
        self.candidates().map(|c| c.value).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(version: u64, client: ClientId) -> Stamp {
        Stamp {
            version,
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
        assert_eq!(r.write("y", 1, stamp(3, c)), WriteOutcome::Settled);
        assert!(!r.in_conflict());
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
