//! Test helpers: a rep, a day, changes to record, and the server's side
//! reduced to what a replica sees.

use std::collections::BTreeMap;

use crate::apply::{ApplyContext, apply};
use crate::archive::{Customer, FieldValue, Fields, LabelledPhone, PhoneLabel};
use crate::dedup::SearchKeys;
use crate::ids::{CustomerId, UserId};
use crate::mutation::FieldEdit;
use crate::sync::{Cookie, MutationResult, Outcome, PullPage, Pulled, PushReply};
use crate::time::Date;
use crate::{Change, CustomerName, Mutation, Phone};

pub(crate) fn rep() -> UserId {
    UserId("rep".into())
}

pub(crate) fn today() -> Date {
    Date::new(2026, 11, 23).unwrap()
}

pub(crate) fn create(name: &str) -> Change {
    let mut fields = Fields::named(CustomerName::parse(name).unwrap());
    fields.owner = Some(rep());
    Change::Create { fields: Box::new(fields) }
}

pub(crate) fn phone_edit(number: &str, base: u64) -> Change {
    let phone = LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse(number).unwrap() };
    Change::SetFields { edits: vec![FieldEdit { value: FieldValue::Phones(vec![phone]), base }] }
}

/// The server's side, reduced to what a replica sees: apply in order,
/// stamp versions, answer, and page out the archives that changed.
#[derive(Default)]
pub(crate) struct Server {
    pub(crate) version: u64,
    pub(crate) archives: BTreeMap<CustomerId, Customer>,
    pub(crate) last_seq: u64,
}

impl Server {
    pub(crate) fn push(&mut self, batch: &[Mutation]) -> PushReply {
        let mut results = Vec::new();
        for m in batch {
            let outcome = if m.seq <= self.last_seq {
                Outcome::Applied { version: self.version }
            } else {
                let ctx = ApplyContext { version: self.version + 1, today: today() };
                self.last_seq = m.seq;
                match apply(self.archives.get(&m.customer), m, &ctx) {
                    Ok((archive, _)) => {
                        self.version += 1;
                        self.archives.insert(m.customer, archive);
                        Outcome::Applied { version: self.version }
                    }
                    Err(r) => Outcome::Rejected { code: r.code, errors: r.errors, by: r.by },
                }
            };
            results.push(MutationResult { id: m.id, seq: m.seq, outcome });
        }
        PushReply { results, last_seq: self.last_seq, names: Default::default() }
    }

    pub(crate) fn pull(&self, since: u64) -> PullPage {
        self.pull_page(since, u32::MAX)
    }

    /// At most `limit` archives changed after `since`, oldest first.
    pub(crate) fn pull_page(&self, since: u64, limit: u32) -> PullPage {
        let mut changed: Vec<&Customer> = self.archives.values().filter(|c| c.version > since).collect();
        changed.sort_by_key(|c| c.version);
        let more = changed.len() > limit as usize;
        changed.truncate(limit as usize);
        let upto = if more { changed.last().map_or(since, |c| c.version) } else { self.version };
        PullPage {
            changes: changed
                .into_iter()
                .map(|c| Pulled::Put {
                    customer: Box::new(c.clone()),
                    masked: false,
                    keys: SearchKeys::default(),
                })
                .collect(),
            cookie: Cookie { epoch: "e".into(), version: upto },
            more,
            reset: false,
            head: self.version,
            custom_fields: None,
            review_rules: None,
            pool_rules: None,
            time_zone: None,
            names: Default::default(),
        }
    }
}
