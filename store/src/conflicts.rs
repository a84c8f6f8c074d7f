//! Open conflicts, as the people who resolve them see them.

use domain::archive::{Customer, FieldValue, Item, ItemKind, Subject};
use domain::merge::{Register, Stamp};
pub use domain::views::{CandidateView, ConflictView};
use serde::Serialize;
use serde_json::Value;

fn candidate<V: Serialize>(value: &V, stamp: &Stamp) -> CandidateView {
    CandidateView {
        value: serde_json::to_value(value).unwrap_or(Value::Null),
        author: stamp.author.0.clone(),
        client_time: stamp.client_time.0,
        version: stamp.version,
    }
}

fn register_candidates<V: Clone + PartialEq + Serialize>(register: &Register<V>) -> Vec<CandidateView> {
    register.candidates().map(|c| candidate(c.value, &c.stamp)).collect()
}

fn item_candidates<T: Clone + PartialEq + Serialize>(item: Option<&Item<T>>) -> Vec<CandidateView> {
    item.map(|i| register_candidates(&i.content)).unwrap_or_default()
}

/// The conflicts open in `customer` (already masked for the viewer).
pub fn conflicts_of(customer: &Customer) -> Vec<ConflictView> {
    customer
        .conflicts()
        .into_iter()
        .map(|subject| {
            let candidates = match &subject {
                Subject::Field(name) => {
                    let meta = customer.field_meta.get(name);
                    let current = FieldValue::read(&customer.fields, *name);
                    let mut all: Vec<CandidateView> =
                        meta.map(|m| vec![candidate(&current, &m.stamp)]).unwrap_or_default();
                    all.extend(
                        meta.into_iter().flat_map(|m| m.rivals.iter().map(|r| candidate(&r.value, &r.stamp))),
                    );
                    all
                }
                Subject::Tag(tag) => customer.tags.get(tag).map(register_candidates).unwrap_or_default(),
                Subject::Custom(key) => customer
                    .custom_meta
                    .get(key)
                    .map(|m| register_candidates(&m.register(customer.fields.custom.get(key).cloned())))
                    .unwrap_or_default(),
                Subject::Item(kind, id) => match kind {
                    ItemKind::Contact => item_candidates(customer.contacts.get(id)),
                    ItemKind::Order => item_candidates(customer.orders.get(id)),
                    ItemKind::Interaction => item_candidates(customer.interactions.get(id)),
                    ItemKind::Feedback => item_candidates(customer.feedback.get(id)),
                    ItemKind::Task => item_candidates(customer.tasks.get(id)),
                },
                Subject::Deletion => {
                    let mut all = register_candidates(&customer.deletion);
                    all.extend(
                        customer.edits_while_deleted().iter().map(|e| candidate(&e.subject, &e.stamp)),
                    );
                    all
                }
            };
            ConflictView {
                id: format!("{}/{}", customer.id, subject.key()),
                subject: subject.key(),
                candidates,
            }
        })
        .collect()
}
