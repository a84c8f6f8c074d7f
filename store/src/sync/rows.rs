//! The rows a push writes besides the archive itself: its columns for
//! queries and its analytics summary, its search keys, audit entries and
//! revocations.

use std::collections::BTreeSet;

use domain::archive::{Customer, FieldName, FieldValue, Item, ItemKind, wire_name};
use domain::dedup::SearchKeys;
use domain::ids::ItemId;
use domain::policy::{Audience, Placement};
use domain::search::{Searchable, index_keys, paged_keys};
use domain::{Change, Mutation};
use serde::Serialize;
use serde_json::{Value, json};

use crate::query::without_nulls;

/// The placement of an archive: its keeper's team is looked up at write time.
pub(crate) fn placement<'a>(customer: &'a Customer, team: Option<&'a str>) -> Placement<'a> {
    Placement {
        owner: customer.fields.owner.as_ref(),
        team,
        pool: customer.pool.as_deref(),
        shared_with: &customer.fields.shared_with,
    }
}

pub(super) fn json_string<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// An archive's search keys ([`index_keys`]); a deleted archive is found
/// by nobody, so it holds none.
pub(crate) fn search_keys_of(customer: &Customer) -> Vec<String> {
    let name = domain::dedup::search_keys(customer.fields.name.as_str());
    keys_with(customer, &name, &phones_of(customer), &emails_of(customer))
}

/// [`search_keys_of`], with the name's pinyin and the phones and emails
/// already worked out.
fn keys_with(customer: &Customer, name: &SearchKeys, phones: &[String], emails: &[String]) -> Vec<String> {
    if customer.deleted() {
        return Vec::new();
    }
    index_keys(Searchable {
        name: customer.fields.name.as_str(),
        pinyin: &name.pinyin,
        initials: &name.initials,
        phones,
        emails,
    })
}

fn phones_of(customer: &Customer) -> Vec<String> {
    customer.fields.phones.iter().map(|p| p.number.e164().to_owned()).collect()
}

fn emails_of(customer: &Customer) -> Vec<String> {
    customer.fields.emails.iter().map(|e| e.as_str().to_owned()).collect()
}

/// Whether the search keys of `before` (none: a new archive) and `after`
/// may differ: they follow the name, phones and emails, and a deleted
/// archive holds none.
pub(crate) fn keys_may_change(before: Option<&Customer>, after: &Customer) -> bool {
    before.is_none_or(|b| {
        b.fields.name != after.fields.name
            || b.fields.phones != after.fields.phones
            || b.fields.emails != after.fields.emails
            || b.deleted() != after.deleted()
    })
}

/// The row of an archive's search keys, kept in a table of their own and
/// written only when they change: a company's name alone gives a hundred
/// keys and more, and in the archive's row every change (a visit logged)
/// read, checked and wrote them again.
pub(crate) fn keys_row(customer: &Customer) -> Value {
    json!({ "key": customer.id.to_string(), "keys": search_keys_of(customer) })
}

/// The customer row: the archive document, the columns queries use, and
/// its analytics summary (a column rather than a row of its own: one row
/// fewer, and one index fewer, to write at every change).
pub(crate) fn customer_row(customer: &Customer, team: Option<&str>) -> Value {
    let keys = domain::dedup::search_keys(customer.fields.name.as_str());
    let (phones, emails) = (phones_of(customer), emails_of(customer));
    let paged = paged_keys(&keys_with(customer, &keys, &phones, &emails));
    without_nulls(json!({
        "doc": json_string(customer),
        "version": customer.version,
        "owner": customer.fields.owner.as_ref().map(|u| u.0.clone()),
        "team": team,
        "pool": customer.pool.as_deref().filter(|_| customer.fields.owner.is_none()),
        "shared_with": customer.fields.shared_with.iter().map(|u| u.0.clone()).collect::<Vec<_>>(),
        "deleted": customer.deleted(),
        "conflicted": customer.has_conflicts(),
        "name": customer.fields.name.as_str(),
        "pinyin": keys.pinyin,
        "initials": keys.initials,
        "phones": phones,
        "emails": emails,
        "paged_keys": paged,
        "stage": wire_name(&customer.fields.stage),
        "category": wire_name(&customer.fields.category),
        "city": customer.fields.address.city.clone(),
        "created_at": customer.created_at.0,
        "updated_at": customer.updated_at.0,
        "summary": crate::analytics::summary_text(customer, team),
    }))
}

/// Audit entries for one applied mutation: one per changed field, tag and
/// item, with old and new values; at least one even when only a rival value
/// joined a conflict.
pub(super) fn audit_rows(
    mutation: &Mutation,
    before: Option<&Customer>,
    after: &Customer,
    team: Option<&str>,
    out: &mut Vec<Value>,
) {
    let action = match &mutation.change {
        // Past a pool's hold limit: its own action, so the audit page finds it.
        Change::Reassign { over_limit: true, .. } => "reassign_over_limit".to_owned(),
        change => name_of_change(change),
    };
    let reason = match &mutation.change {
        Change::Reassign { reason, .. } => reason.as_deref().map(str::trim).filter(|r| !r.is_empty()),
        _ => None,
    };
    let entry = |subject: Option<String>, old: Option<String>, new: Option<String>| {
        without_nulls(json!({
            "version": after.version, "user": mutation.author.0, "client": mutation.client.to_string(),
            "customer": after.id.to_string(), "team": team, "mutation": mutation.id.to_string(),
            "action": action, "subject": subject, "old": old, "new": new, "reason": reason,
        }))
    };
    let start = out.len();
    match before {
        None => out.push(entry(None, None, Some(json_string(&after.fields)))),
        Some(before) => {
            for &name in FieldName::ALL {
                let (old, new) =
                    (FieldValue::read(&before.fields, name), FieldValue::read(&after.fields, name));
                if old != new {
                    out.push(entry(
                        Some(format!("field:{}", name.as_str())),
                        Some(json_string(&old)),
                        Some(json_string(&new)),
                    ));
                }
            }
            let keys: BTreeSet<&String> =
                before.fields.custom.keys().chain(after.fields.custom.keys()).collect();
            for key in keys {
                let (old, new) = (before.fields.custom.get(key), after.fields.custom.get(key));
                if old != new {
                    let text = |v: Option<&domain::custom_field::CustomValue>| v.map(json_string);
                    out.push(entry(Some(format!("custom:{key}")), text(old), text(new)));
                }
            }
            let tags: BTreeSet<&String> = before.tags.keys().chain(after.tags.keys()).collect();
            for tag in tags {
                let shown = |c: &Customer| c.tags.get(tag).is_some_and(|r| r.candidates().any(|c| *c.value));
                if shown(before) != shown(after) {
                    out.push(entry(
                        Some(format!("tag:{tag}")),
                        Some(shown(before).to_string()),
                        Some(shown(after).to_string()),
                    ));
                }
            }
            fn items<T: Clone + PartialEq + Serialize>(
                kind: ItemKind,
                before: &std::collections::BTreeMap<ItemId, Item<T>>,
                after: &std::collections::BTreeMap<ItemId, Item<T>>,
                push: &mut dyn FnMut(String, Option<String>, Option<String>),
            ) {
                for (id, item) in after {
                    let old = before.get(id);
                    if old == Some(item) {
                        continue;
                    }
                    let shown = |i: &Item<T>| (!i.hidden()).then(|| json_string(i.value()));
                    push(format!("{}:{id}", kind.as_str()), old.and_then(shown), shown(item));
                }
            }
            let mut push = |s: String, o: Option<String>, n: Option<String>| out.push(entry(Some(s), o, n));
            items(ItemKind::Contact, &before.contacts, &after.contacts, &mut push);
            items(ItemKind::Order, &before.orders, &after.orders, &mut push);
            items(ItemKind::Interaction, &before.interactions, &after.interactions, &mut push);
            items(ItemKind::Feedback, &before.feedback, &after.feedback, &mut push);
            items(ItemKind::Task, &before.tasks, &after.tasks, &mut push);
            if before.deleted() != after.deleted() {
                out.push(entry(
                    Some("deletion".into()),
                    Some(before.deleted().to_string()),
                    Some(after.deleted().to_string()),
                ));
            }
        }
    }
    if out.len() == start {
        out.push(entry(None, None, Some(json_string(&mutation.change))));
    }
}

pub(super) fn name_of_change(change: &Change) -> String {
    serde_json::to_value(change)
        .ok()
        .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

/// Who (other than admins) can see an archive kept by a member of `team`.
pub(super) fn audience(customer: &Customer, team: Option<&str>) -> Audience {
    Audience::of(placement(customer, team))
}

/// A tombstone for whoever lost sight of the archive between `before` and `after`.
pub(super) fn revocation_row(
    before: &Customer,
    before_team: Option<&str>,
    after: &Customer,
    team: Option<&str>,
) -> Option<Value> {
    let (old, new) = (audience(before, before_team), audience(after, team));
    let users: Vec<&str> = old.users.difference(&new.users).map(|u| u.0.as_str()).collect();
    let teams: Vec<&String> = old.teams.difference(&new.teams).collect();
    // Out of one pool and into another counts as leaving the first.
    let from_pool = old.pool && (!new.pool || old.pool_team != new.pool_team);
    (!users.is_empty() || !teams.is_empty() || from_pool).then(|| {
        without_nulls(json!({
            "customer": after.id.to_string(), "version": after.version, "users": users, "teams": teams,
            "from_pool": from_pool, "pool": old.pool_team.filter(|_| from_pool),
        }))
    })
}
