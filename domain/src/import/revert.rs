//! Undoing an import as a whole: the archives it created are removed, the
//! fields, custom fields and tags it changed go back to what they were, and
//! whatever somebody changed since the import is left as it is and listed.
//! Nothing anyone did after the import is undone with it.
//!
//! What the import did comes from the mutation log (each change with the
//! version it was applied at); what the fields held before, from the values
//! kept when the import was committed ([`Before`]). The undo is changes like
//! any other, pushed as the person undoing, so the policy, the audit trail
//! and devices' pulls see it as an edit.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::Change;
use crate::archive::{Customer, FieldValue};
use crate::custom_field::{CustomEdit, CustomValue};
use crate::ids::CustomerId;
use crate::mutation::FieldEdit;

/// One change the import made, as the mutation log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// The archive.
    pub customer: CustomerId,
    /// What it did.
    pub change: Change,
    /// The version it was applied at; none when the server refused it.
    pub version: Option<u64>,
}

/// What an archive held before an import changed it, kept with the import.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Before {
    /// The earlier value of each built-in field the import set.
    pub fields: Vec<FieldValue>,
    /// The earlier value of each custom field the import set (none: empty).
    #[serde(default)]
    pub custom: BTreeMap<String, Option<CustomValue>>,
}

impl Before {
    /// What `change` is about to overwrite in `customer`.
    pub fn record(&mut self, customer: &Customer, change: &Change) {
        match change {
            Change::SetFields { edits } => {
                for edit in edits {
                    let name = edit.value.name();
                    if !self.fields.iter().any(|v| v.name() == name) {
                        self.fields.push(FieldValue::read(&customer.fields, name));
                    }
                }
            }
            Change::SetCustom { edits } => {
                for edit in edits {
                    let old = customer.fields.custom.get(&edit.key).cloned();
                    self.custom.entry(edit.key.clone()).or_insert(old);
                }
            }
            _ => {}
        }
    }
}

/// Something the undo leaves as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// The archive.
    pub customer: CustomerId,
    /// Its name now.
    pub name: String,
    /// `archive` (one the import created), a field (`phones`), `custom:<key>` or `tag:<tag>`.
    pub what: String,
}

/// The changes that undo an import, and what they leave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Undo {
    /// In order, each for one archive.
    pub changes: Vec<(CustomerId, Change)>,
    /// Archives the import created that are removed.
    pub removed: usize,
    /// Fields, custom fields and tags set back.
    pub restored: usize,
    /// What somebody changed since the import, so it stays.
    pub kept: Vec<Kept>,
    /// Archives the import changed that are gone since (deleted, merged
    /// away) or that the person undoing no longer sees in full (moved to
    /// another team): nothing of them is undone, and they are counted so
    /// the person is told.
    pub unreached: usize,
}

/// Works out how to undo the import that made `logged`, on the archives as
/// they are now (`current`, as the person undoing sees them in full).
/// Archives missing from `current` are left alone and counted.
pub fn undo(
    logged: &[Logged],
    before: &HashMap<CustomerId, Before>,
    current: &HashMap<CustomerId, Customer>,
) -> Undo {
    let mut order: Vec<CustomerId> = Vec::new();
    let mut by_archive: HashMap<CustomerId, Vec<(&Change, u64)>> = HashMap::new();
    for entry in logged {
        let Some(version) = entry.version else { continue };
        if !by_archive.contains_key(&entry.customer) {
            order.push(entry.customer);
        }
        by_archive.entry(entry.customer).or_default().push((&entry.change, version));
    }
    let mut out = Undo::default();
    for id in order {
        let done = &by_archive[&id];
        let Some(customer) = current.get(&id).filter(|c| !c.deleted()) else {
            out.unreached += 1;
            continue;
        };
        let kept = |what: String| Kept { customer: id, name: customer.fields.name.as_str().to_owned(), what };
        let base = customer.version;
        if done.iter().any(|(change, _)| matches!(change, Change::Create { .. })) {
            // Created by the import: removed only if nobody touched it since.
            let last = done.iter().map(|(_, v)| *v).max().unwrap_or(0);
            if customer.version == last {
                out.changes.push((id, Change::Delete { base }));
                out.removed += 1;
            } else {
                out.kept.push(kept("archive".into()));
            }
            continue;
        }
        let earlier = before.get(&id);
        let mut edits = Vec::new();
        let mut custom = Vec::new();
        let mut tags = Vec::new();
        for (change, version) in done {
            match change {
                Change::SetFields { edits: set } => {
                    for edit in set {
                        let name = edit.value.name();
                        let untouched =
                            customer.field_meta.get(&name).is_some_and(|m| m.stamp.version == *version);
                        let old = earlier.and_then(|b| b.fields.iter().find(|v| v.name() == name));
                        match old {
                            Some(old) if untouched => edits.push(FieldEdit { value: old.clone(), base }),
                            _ => out.kept.push(kept(name.as_str().to_owned())),
                        }
                    }
                }
                Change::SetCustom { edits: set } => {
                    for edit in set {
                        let untouched =
                            customer.custom_meta.get(&edit.key).is_some_and(|m| m.stamp.version == *version);
                        let old = earlier.and_then(|b| b.custom.get(&edit.key));
                        match old {
                            Some(old) if untouched => {
                                custom.push(CustomEdit { key: edit.key.clone(), value: old.clone(), base })
                            }
                            _ => out.kept.push(kept(format!("custom:{}", edit.key))),
                        }
                    }
                }
                Change::AddTag { tag, .. } => {
                    let untouched = customer
                        .tags
                        .get(tag)
                        .is_some_and(|r| r.value && r.rivals.is_empty() && r.stamp.version == *version);
                    if untouched {
                        tags.push(tag.clone());
                    } else {
                        out.kept.push(kept(format!("tag:{tag}")));
                    }
                }
                _ => {}
            }
        }
        out.restored += edits.len() + custom.len() + tags.len();
        if !edits.is_empty() {
            out.changes.push((id, Change::SetFields { edits }));
        }
        if !custom.is_empty() {
            out.changes.push((id, Change::SetCustom { edits: custom }));
        }
        out.changes.extend(tags.into_iter().map(|tag| (id, Change::RemoveTag { tag, base })));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Fields;
    use crate::ids::UserId;
    use crate::mutation::Sequencer;
    use crate::time::{Date, Timestamp};
    use crate::{ApplyContext, CustomerName, Mutation, apply};

    struct Archive {
        customer: Option<Customer>,
        log: Vec<Logged>,
    }

    impl Archive {
        fn new() -> Self {
            Self { customer: None, log: Vec::new() }
        }

        /// Applies `change` at the next version, by `who`; logged when it is the import's.
        fn apply(&mut self, who: &mut Sequencer, id: CustomerId, change: Change, import: bool) {
            let version = self.customer.as_ref().map_or(0, |c| c.version) + 1;
            let mutation: Mutation = who.next(id, change.clone(), Timestamp(0));
            let today = Date::new(2026, 12, 5).unwrap();
            let (after, _) =
                apply(self.customer.as_ref(), &mutation, &ApplyContext { version, today }).unwrap();
            self.customer = Some(after);
            if import {
                self.log.push(Logged { customer: id, change, version: Some(version) });
            }
        }
    }

    fn named(name: &str) -> Fields {
        Fields::named(CustomerName::parse(name).unwrap())
    }

    fn occupation(text: &str) -> FieldValue {
        FieldValue::Occupation(Some(text.into()))
    }

    fn run(archives: &[&Archive], before: HashMap<CustomerId, Before>) -> Undo {
        let log: Vec<Logged> = archives.iter().flat_map(|a| a.log.clone()).collect();
        let current = archives.iter().filter_map(|a| a.customer.clone()).map(|c| (c.id, c)).collect();
        undo(&log, &before, &current)
    }

    #[test]
    fn an_untouched_created_archive_is_removed_and_one_someone_worked_on_is_kept() {
        let (mut import, mut rep) =
            (Sequencer::new(UserId("boss".into())), Sequencer::new(UserId("rep".into())));
        let (quiet, busy) = (CustomerId::new(), CustomerId::new());
        let mut a = Archive::new();
        a.apply(&mut import, quiet, Change::Create { fields: Box::new(named("甲")) }, true);
        a.apply(&mut import, quiet, Change::AddTag { tag: "展会".into(), base: 0 }, true);
        let mut b = Archive::new();
        b.apply(&mut import, busy, Change::Create { fields: Box::new(named("乙")) }, true);
        let edit = FieldEdit { value: occupation("采购"), base: 1 };
        b.apply(&mut rep, busy, Change::SetFields { edits: vec![edit] }, false);

        let undo = run(&[&a, &b], HashMap::new());
        assert_eq!(undo.changes, vec![(quiet, Change::Delete { base: 2 })]);
        assert_eq!((undo.removed, undo.restored), (1, 0));
        assert_eq!(undo.kept, vec![Kept { customer: busy, name: "乙".into(), what: "archive".into() }]);
    }

    #[test]
    fn updated_fields_go_back_unless_changed_since_and_tags_the_import_added_come_off() {
        let (mut import, mut rep) =
            (Sequencer::new(UserId("boss".into())), Sequencer::new(UserId("rep".into())));
        let id = CustomerId::new();
        let mut a = Archive::new();
        let mut fields = named("丙");
        fields.occupation = Some("教师".into());
        a.apply(&mut rep, id, Change::Create { fields: Box::new(fields) }, false);
        let stored = a.customer.clone().unwrap();

        let set = Change::SetFields {
            edits: vec![
                FieldEdit { value: occupation("律师"), base: 1 },
                FieldEdit { value: FieldValue::Region(Some("华东".into())), base: 1 },
            ],
        };
        let mut before = Before::default();
        before.record(&stored, &set);
        a.apply(&mut import, id, set, true);
        a.apply(&mut import, id, Change::AddTag { tag: "老客户".into(), base: 1 }, true);
        // The rep corrects the region after the import: that stays.
        let edit = FieldEdit { value: FieldValue::Region(Some("华南".into())), base: 3 };
        a.apply(&mut rep, id, Change::SetFields { edits: vec![edit] }, false);

        let undo = run(&[&a], HashMap::from([(id, before)]));
        assert_eq!(
            undo.changes,
            vec![
                (id, Change::SetFields { edits: vec![FieldEdit { value: occupation("教师"), base: 4 }] }),
                (id, Change::RemoveTag { tag: "老客户".into(), base: 4 }),
            ]
        );
        assert_eq!((undo.removed, undo.restored), (0, 2));
        assert_eq!(undo.kept, vec![Kept { customer: id, name: "丙".into(), what: "region".into() }]);
    }

    #[test]
    fn refused_changes_are_left_alone_and_archives_out_of_reach_are_counted() {
        let mut import = Sequencer::new(UserId("boss".into()));
        let id = CustomerId::new();
        let mut a = Archive::new();
        a.apply(&mut import, id, Change::Create { fields: Box::new(named("丁")) }, true);
        let mut refused = a.log.clone();
        refused[0].version = None;
        let current = HashMap::from([(id, a.customer.clone().unwrap())]);
        assert_eq!(undo(&refused, &HashMap::new(), &current), Undo::default());
        let gone = undo(&a.log, &HashMap::new(), &HashMap::new());
        assert_eq!(gone, Undo { unreached: 1, ..Undo::default() }, "left alone, and counted");
    }
}
