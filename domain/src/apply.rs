//! `apply`: the one function that changes an archive, on either side.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::Refusal;
use crate::archive::{
    CustomMeta, Customer, FieldMeta, FieldName, FieldValue, Fields, Item, ItemKind, Subject,
};
use crate::custom_field::CustomEdit;
use crate::ids::UserId;
use crate::merge::{Register, Stamp, WriteOutcome};
use crate::mutation::{Change, FieldEdit, Mutation};
use crate::time::Date;
use crate::validate;

/// What the applying side knows that the mutation does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyContext {
    /// The server version this mutation is stamped with (the browser uses a
    /// provisional one above anything it has seen).
    pub version: u64,
    /// Today, for rules such as "birthdays are not in the future".
    pub today: Date,
}

/// What applying did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Applied {
    /// Took effect; `conflicts` lists what it left in conflict.
    Done {
        /// Subjects now in conflict because of this mutation.
        conflicts: Vec<Subject>,
    },
    /// Already applied before (same client, same or lower sequence number).
    Duplicate,
}

/// Why a mutation was refused. Nothing of it took effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}")]
pub struct Rejection {
    /// A stable code (`customer.not_found`, `invalid`, ...).
    pub code: String,
    /// Per-field errors when the code is `invalid`.
    pub errors: Vec<FieldError>,
    /// Who has the archive, when a claim came too late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UserId>,
}

impl Rejection {
    /// A rejection for `refusal`, with no field errors.
    pub fn new(refusal: Refusal) -> Self {
        Self { code: refusal.code().into(), errors: Vec::new(), by: None }
    }

    /// A rejection for `refusal`, with the error that says why.
    pub fn because(refusal: Refusal, error: FieldError) -> Self {
        Self { code: refusal.code().into(), errors: vec![error], by: None }
    }

    /// A rejection for broken field rules.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        Self { code: Refusal::Invalid.code().into(), errors, by: None }
    }

    /// The refusal its code names, if this version knows it.
    pub fn refusal(&self) -> Option<Refusal> {
        Refusal::parse(&self.code)
    }
}

/// Applies `mutation` to `current` (none when the archive does not exist
/// yet) and returns the new archive. Pure: the input is not changed.
pub fn apply(
    current: Option<&Customer>,
    mutation: &Mutation,
    ctx: &ApplyContext,
) -> Result<(Customer, Applied), Rejection> {
    if let Some(customer) = current {
        if customer.id != mutation.customer {
            return Err(Rejection::new(Refusal::CustomerMismatch));
        }
        let last = customer.applied_seq.get(&mutation.client).copied().unwrap_or(0);
        if mutation.seq <= last {
            return Ok((customer.clone(), Applied::Duplicate));
        }
    }
    let stamp = Stamp {
        version: ctx.version,
        base: 0,
        client: mutation.client,
        author: mutation.author.clone(),
        mutation: mutation.id,
        client_time: mutation.client_time,
    };

    let (mut customer, conflicts) = match (&mutation.change, current) {
        (Change::Create { fields }, None) => (create(mutation, fields, &stamp, ctx)?, Vec::new()),
        (Change::Create { .. }, Some(_)) => return Err(Rejection::new(Refusal::CustomerExists)),
        (_, None) => return Err(Rejection::new(Refusal::CustomerNotFound)),
        (change, Some(existing)) => {
            let mut customer = existing.clone();
            let conflicts = change_existing(&mut customer, change, &stamp, ctx)?;
            placed(existing, &mut customer, change, ctx.today);
            (customer, conflicts)
        }
    };
    customer.version = customer.version.max(ctx.version);
    customer.updated_at = mutation.client_time;
    customer.applied_seq.insert(mutation.client, mutation.seq);
    Ok((customer, Applied::Done { conflicts }))
}

/// Notes where `after` sits when its keeper changed: since when it is
/// kept, or which pool took it.
fn placed(before: &Customer, after: &mut Customer, change: &Change, today: Date) {
    if after.fields.owner == before.fields.owner {
        return;
    }
    after.kept_since = after.fields.owner.is_some().then_some(today);
    after.pool = match change {
        // Kept now: the pool it was taken from stays noted, so a claim that
        // comes too late is told who took it.
        _ if after.fields.owner.is_some() => before.pool.clone(),
        Change::Reassign { pool, .. } | Change::Recycle { pool, .. } => pool.clone(),
        _ => None,
    };
}

/// Applies a [`Change::Merge`]: returns the archive merged into (`into`,
/// the mutation's customer) and the one merged away (`from`, now deleted and
/// pointing at `into`). Nothing of either is lost: every contact, order,
/// interaction, feedback and task of both is in `into`, with its history.
pub fn apply_merge(
    into: &Customer,
    from: &Customer,
    mutation: &Mutation,
    ctx: &ApplyContext,
) -> Result<(Customer, Customer, Applied), Rejection> {
    let Change::Merge { from: from_id, base, edits } = &mutation.change else {
        return Err(Rejection::new(Refusal::MergeNotAMerge));
    };
    if into.id != mutation.customer || from.id != *from_id {
        return Err(Rejection::new(Refusal::CustomerMismatch));
    }
    if into.id == from.id {
        return Err(Rejection::new(Refusal::MergeSameArchive));
    }
    if into.applied_seq.get(&mutation.client).is_some_and(|&seq| mutation.seq <= seq) {
        return Ok((into.clone(), from.clone(), Applied::Duplicate));
    }
    if into.deleted() || from.deleted() {
        return Err(Rejection::new(Refusal::MergeDeleted));
    }
    let kind = edits
        .iter()
        .find_map(|e| match &e.value {
            FieldValue::Kind(kind) => Some(*kind),
            _ => None,
        })
        .unwrap_or(into.fields.kind);
    let mut errors: Vec<FieldError> =
        edits.iter().filter_map(|e| validate::field(&e.value, ctx.today).err()).collect();
    for edit in edits {
        if let FieldValue::IdNumber(number) = &edit.value {
            errors.extend(validate::id_number(kind, number.as_deref(), ctx.today).err());
        }
    }
    if !errors.is_empty() {
        return Err(Rejection::invalid(errors));
    }
    let stamp = Stamp {
        version: ctx.version,
        base: *base,
        client: mutation.client,
        author: mutation.author.clone(),
        mutation: mutation.id,
        client_time: mutation.client_time,
    };
    let mut merged = into.clone();
    for &name in from.field_meta.keys() {
        let ours = FieldValue::read(&into.fields, name);
        let theirs = FieldValue::read(&from.fields, name);
        let value = match (ours, theirs) {
            (FieldValue::Phones(mut a), FieldValue::Phones(b)) => {
                a.extend(b.into_iter().filter(|p| !into.fields.phones.contains(p)));
                FieldValue::Phones(a)
            }
            (FieldValue::Emails(mut a), FieldValue::Emails(b)) => {
                a.extend(b.into_iter().filter(|e| !into.fields.emails.contains(e)));
                FieldValue::Emails(a)
            }
            (FieldValue::SharedWith(mut a), FieldValue::SharedWith(b)) => {
                a.extend(b);
                FieldValue::SharedWith(a)
            }
            (ours, theirs) if is_empty(&ours) && !is_empty(&theirs) => theirs,
            _ => continue,
        };
        if value != FieldValue::read(&into.fields, name) {
            write_field(&mut merged, &FieldEdit { value, base: *base }, &stamp);
        }
    }
    // What the person chose wins over what the merge would keep.
    for edit in edits {
        if edit.value != FieldValue::read(&merged.fields, edit.value.name()) {
            write_field(&mut merged, &FieldEdit { value: edit.value.clone(), base: *base }, &stamp);
        }
    }
    for (key, value) in &from.fields.custom {
        if !into.fields.custom.contains_key(key) {
            let edit = CustomEdit { key: key.clone(), value: Some(value.clone()), base: *base };
            write_custom(&mut merged, &edit, &stamp);
        }
    }
    for (tag, register) in &from.tags {
        merged.tags.entry(tag.clone()).or_insert_with(|| register.clone());
    }
    fn take_items<T: Clone>(
        into: &mut BTreeMap<crate::ids::ItemId, Item<T>>,
        from: &BTreeMap<crate::ids::ItemId, Item<T>>,
    ) {
        for (id, item) in from {
            into.entry(*id).or_insert_with(|| item.clone());
        }
    }
    take_items(&mut merged.contacts, &from.contacts);
    take_items(&mut merged.orders, &from.orders);
    take_items(&mut merged.interactions, &from.interactions);
    take_items(&mut merged.feedback, &from.feedback);
    take_items(&mut merged.tasks, &from.tasks);

    let mut gone = from.clone();
    gone.deletion.write(true, *base, stamp.clone());
    gone.merged_into = Some(into.id);
    for archive in [&mut merged, &mut gone] {
        archive.version = archive.version.max(ctx.version);
        archive.updated_at = mutation.client_time;
        archive.applied_seq.insert(mutation.client, mutation.seq);
    }
    Ok((merged, gone, Applied::Done { conflicts: Vec::new() }))
}

/// A field nobody has filled in: merging takes the other archive's value.
pub fn is_empty(value: &FieldValue) -> bool {
    match value {
        FieldValue::Gender(v) => v.is_none(),
        FieldValue::BirthdayLunar(lunar) => !lunar,
        FieldValue::Birthday(v) | FieldValue::NextReviewAt(v) => v.is_none(),
        FieldValue::Occupation(v)
        | FieldValue::Industry(v)
        | FieldValue::Region(v)
        | FieldValue::IdNumber(v) => v.as_deref().is_none_or(str::is_empty),
        FieldValue::CompanySize(v) => v.is_none(),
        FieldValue::Owner(v) => v.is_none(),
        FieldValue::Address(a) => *a == crate::archive::Address::default(),
        FieldValue::Preferences(p) => *p == crate::archive::Preferences::default(),
        _ => false,
    }
}

/// The checks only the server can afford: every phone number in the
/// mutation against full international metadata. The server runs this
/// before [`apply`]; a failure is a rejection with the reason, like any other.
#[cfg(feature = "server")]
pub fn server_checks(mutation: &Mutation) -> Result<(), Rejection> {
    use crate::archive::LabelledPhone;
    let check = |field: &str, phones: &[LabelledPhone]| -> Vec<FieldError> {
        phones.iter().filter_map(|p| p.number.verify_with_metadata(field).err()).collect()
    };
    let errors = match &mutation.change {
        Change::Create { fields } => check("phones", &fields.phones),
        Change::SetFields { edits } | Change::ResolveConflict { edits } | Change::Merge { edits, .. } => {
            edits
                .iter()
                .flat_map(|e| match &e.value {
                    FieldValue::Phones(phones) => check("phones", phones),
                    _ => Vec::new(),
                })
                .collect()
        }
        Change::PutContact { contact, .. } => check("contact.phones", &contact.phones),
        _ => Vec::new(),
    };
    if errors.is_empty() { Ok(()) } else { Err(Rejection::invalid(errors)) }
}

fn create(
    mutation: &Mutation,
    fields: &Fields,
    stamp: &Stamp,
    ctx: &ApplyContext,
) -> Result<Customer, Rejection> {
    let mut errors: Vec<FieldError> = FieldName::ALL
        .iter()
        .filter_map(|&name| validate::field(&FieldValue::read(fields, name), ctx.today).err())
        .collect();
    errors.extend(validate::id_number(fields.kind, fields.id_number.as_deref(), ctx.today).err());
    errors.extend(fields.custom.iter().filter_map(|(key, value)| value.check_shape(key).err()));
    if !errors.is_empty() {
        return Err(Rejection::invalid(errors));
    }
    let field_meta = FieldName::ALL
        .iter()
        .map(|&name| (name, FieldMeta { stamp: stamp.clone(), rivals: Vec::new() }))
        .collect();
    let custom_meta = fields
        .custom
        .keys()
        .map(|key| (key.clone(), CustomMeta { stamp: stamp.clone(), rivals: Vec::new() }))
        .collect();
    Ok(Customer {
        id: mutation.customer,
        fields: fields.clone(),
        field_meta,
        custom_meta,
        tags: BTreeMap::new(),
        contacts: BTreeMap::new(),
        orders: BTreeMap::new(),
        interactions: BTreeMap::new(),
        feedback: BTreeMap::new(),
        tasks: BTreeMap::new(),
        deletion: Register::new(false, stamp.clone()),
        merged_into: None,
        created_by: mutation.author.clone(),
        created_at: mutation.client_time,
        updated_at: mutation.client_time,
        version: ctx.version,
        applied_seq: BTreeMap::new(),
        pool: None,
        kept_since: fields.owner.is_some().then_some(ctx.today),
    })
}

fn change_existing(
    customer: &mut Customer,
    change: &Change,
    stamp: &Stamp,
    ctx: &ApplyContext,
) -> Result<Vec<Subject>, Rejection> {
    let mut conflicts = Vec::new();
    let mut note = |subject: Subject, outcome: WriteOutcome| {
        if outcome == WriteOutcome::Conflict {
            conflicts.push(subject);
        }
    };
    match change {
        Change::Create { .. } => return Err(Rejection::new(Refusal::CustomerExists)),
        Change::SetFields { edits } | Change::ResolveConflict { edits } => {
            if edits.is_empty() {
                return Err(Rejection::new(Refusal::EditsEmpty));
            }
            let mut errors: Vec<FieldError> =
                edits.iter().filter_map(|e| validate::field(&e.value, ctx.today).err()).collect();
            // An ID number is read by the kind the archive has after this change.
            let kind = edits
                .iter()
                .find_map(|e| match &e.value {
                    FieldValue::Kind(kind) => Some(*kind),
                    _ => None,
                })
                .unwrap_or(customer.fields.kind);
            for edit in edits {
                if let FieldValue::IdNumber(number) = &edit.value {
                    errors.extend(validate::id_number(kind, number.as_deref(), ctx.today).err());
                }
            }
            if !errors.is_empty() {
                return Err(Rejection::invalid(errors));
            }
            for edit in edits {
                let name = edit.value.name();
                let outcome = write_field(customer, edit, stamp);
                note(Subject::Field(name), outcome);
            }
        }
        Change::SetCustom { edits } => {
            if edits.is_empty() {
                return Err(Rejection::new(Refusal::EditsEmpty));
            }
            let errors: Vec<FieldError> = edits
                .iter()
                .filter_map(|e| e.value.as_ref().and_then(|v| v.check_shape(&e.key).err()))
                .collect();
            if !errors.is_empty() {
                return Err(Rejection::invalid(errors));
            }
            for edit in edits {
                note(Subject::Custom(edit.key.clone()), write_custom(customer, edit, stamp));
            }
        }
        Change::Reassign { owner, base, reason, pool, over_limit } => {
            validate::reason(reason.as_deref()).map_err(|e| Rejection::invalid(vec![e]))?;
            // Going past a hold limit is a decision someone answers for.
            if *over_limit && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(Rejection::invalid(vec![FieldError::new("reason", "required")]));
            }
            if owner.is_some() && pool.is_some() {
                return Err(Rejection::invalid(vec![FieldError::new("pool", "with_owner")]));
            }
            let edit = FieldEdit { value: FieldValue::Owner(owner.clone()), base: *base };
            note(Subject::Field(FieldName::Owner), write_field(customer, &edit, stamp));
        }
        // A claim and a recycle check the keeper as it is now, so they are
        // written as having seen it: no conflict with the move before them.
        Change::Claim { .. } => {
            if let Some(keeper) = &customer.fields.owner {
                return Err(Rejection { by: Some(keeper.clone()), ..Rejection::new(Refusal::PoolClaimed) });
            }
            let edit =
                FieldEdit { value: FieldValue::Owner(Some(stamp.author.clone())), base: customer.version };
            write_field(customer, &edit, stamp);
        }
        Change::Recycle { keeper, .. } => {
            if customer.fields.owner.as_ref() != Some(keeper) || customer.deleted() {
                return Err(Rejection::new(Refusal::PoolMoved));
            }
            let edit = FieldEdit { value: FieldValue::Owner(None), base: customer.version };
            write_field(customer, &edit, stamp);
        }
        Change::AddTag { tag, base } | Change::RemoveTag { tag, base } => {
            let tag = validate::tag(tag).map_err(|e| Rejection::invalid(vec![e]))?;
            let present = matches!(change, Change::AddTag { .. });
            if present && !customer.tags.contains_key(&tag) && customer.tags.len() >= validate::MAX_TAGS {
                let limit = validate::MAX_TAGS as u32;
                return Err(Rejection::invalid(vec![FieldError::new("tags", "too_many").with_limit(limit)]));
            }
            // Tags merge by "added wins": a conflict between add and remove
            // shows the tag, so it is not reported as one.
            match customer.tags.get_mut(&tag) {
                Some(register) => {
                    register.write(present, *base, stamp.clone());
                }
                None => {
                    customer.tags.insert(tag, Register::new(present, Stamp { base: *base, ..stamp.clone() }));
                }
            }
        }
        Change::PutContact { id, contact, base } => {
            validate::contact(contact).map_err(Rejection::invalid)?;
            note(
                Subject::Item(ItemKind::Contact, *id),
                put(
                    &mut customer.contacts,
                    *id,
                    contact.clone(),
                    *base,
                    stamp,
                    ("contacts", validate::MAX_CONTACTS),
                )?,
            );
        }
        Change::PutOrder { id, order, base } => {
            validate::order(order).map_err(Rejection::invalid)?;
            note(
                Subject::Item(ItemKind::Order, *id),
                put(
                    &mut customer.orders,
                    *id,
                    order.clone(),
                    *base,
                    stamp,
                    ("orders", validate::MAX_ORDERS),
                )?,
            );
        }
        Change::PutInteraction { id, interaction, base } => {
            validate::interaction(interaction).map_err(Rejection::invalid)?;
            note(
                Subject::Item(ItemKind::Interaction, *id),
                put(
                    &mut customer.interactions,
                    *id,
                    interaction.clone(),
                    *base,
                    stamp,
                    ("interactions", validate::MAX_INTERACTIONS),
                )?,
            );
        }
        Change::PutFeedback { id, feedback, base } => {
            validate::feedback(feedback).map_err(Rejection::invalid)?;
            if let Some(existing) = customer.feedback.get(id) {
                let from = existing.value().status;
                if !from.may_become(feedback.status) {
                    let reason = format!("{from:?}_to_{:?}", feedback.status).to_lowercase();
                    return Err(Rejection::invalid(vec![FieldError::new("status", &reason)]));
                }
            }
            note(
                Subject::Item(ItemKind::Feedback, *id),
                put(
                    &mut customer.feedback,
                    *id,
                    feedback.clone(),
                    *base,
                    stamp,
                    ("feedback", validate::MAX_FEEDBACK),
                )?,
            );
        }
        Change::PutTask { id, task, base } => {
            validate::task(task).map_err(Rejection::invalid)?;
            note(
                Subject::Item(ItemKind::Task, *id),
                put(&mut customer.tasks, *id, task.clone(), *base, stamp, ("tasks", validate::MAX_TASKS))?,
            );
        }
        Change::RemoveItem { kind, id, base } => {
            // Removal wins over concurrent edits (they stay, hidden), so it
            // is never reported as a conflict.
            match kind {
                ItemKind::Contact => remove(&mut customer.contacts, *id, *base, stamp),
                ItemKind::Order => remove(&mut customer.orders, *id, *base, stamp),
                ItemKind::Interaction => remove(&mut customer.interactions, *id, *base, stamp),
                ItemKind::Feedback => remove(&mut customer.feedback, *id, *base, stamp),
                ItemKind::Task => remove(&mut customer.tasks, *id, *base, stamp),
            }
            .ok_or_else(|| Rejection::new(Refusal::ItemNotFound))?;
        }
        Change::Delete { base } => {
            customer.deletion.write(true, *base, stamp.clone());
        }
        Change::Merge { .. } => return Err(Rejection::new(Refusal::MergeNeedsBothArchives)),
        Change::Restore { base } => {
            customer.deletion.write(false, *base, stamp.clone());
        }
    }
    Ok(conflicts)
}

fn write_field(customer: &mut Customer, edit: &FieldEdit, stamp: &Stamp) -> WriteOutcome {
    let name = edit.value.name();
    let meta = customer
        .field_meta
        .get(&name)
        .cloned()
        .unwrap_or_else(|| FieldMeta { stamp: Stamp { version: 0, ..stamp.clone() }, rivals: Vec::new() });
    let mut register =
        Register { value: FieldValue::read(&customer.fields, name), stamp: meta.stamp, rivals: meta.rivals };
    let outcome = register.write(edit.value.clone(), edit.base, stamp.clone());
    register.value.write_into(&mut customer.fields);
    customer.field_meta.insert(name, FieldMeta { stamp: register.stamp, rivals: register.rivals });
    outcome
}

/// Writes a custom field; one never written before starts from nothing
/// (stamped at version 0, so any edit supersedes it).
fn write_custom(customer: &mut Customer, edit: &CustomEdit, stamp: &Stamp) -> WriteOutcome {
    let meta = customer
        .custom_meta
        .get(&edit.key)
        .cloned()
        .unwrap_or_else(|| CustomMeta { stamp: Stamp { version: 0, ..stamp.clone() }, rivals: Vec::new() });
    let mut register = meta.register(customer.fields.custom.get(&edit.key).cloned());
    let outcome = register.write(edit.value.clone(), edit.base, stamp.clone());
    match register.value {
        Some(value) => customer.fields.custom.insert(edit.key.clone(), value),
        None => customer.fields.custom.remove(&edit.key),
    };
    customer
        .custom_meta
        .insert(edit.key.clone(), CustomMeta { stamp: register.stamp, rivals: register.rivals });
    outcome
}

/// Writes an item; a new one is refused when the archive holds `limit.1`
/// of its kind already (removed ones count: they stay in the history).
fn put<T: Clone + PartialEq>(
    items: &mut BTreeMap<crate::ids::ItemId, Item<T>>,
    id: crate::ids::ItemId,
    value: T,
    base: u64,
    stamp: &Stamp,
    limit: (&str, usize),
) -> Result<WriteOutcome, Rejection> {
    let full = items.len() >= limit.1;
    match items.get_mut(&id) {
        Some(item) => Ok(item.content.write(value, base, stamp.clone())),
        None if full => {
            let error =
                FieldError::new(limit.0, "too_many").with_limit(u32::try_from(limit.1).unwrap_or(u32::MAX));
            Err(Rejection::invalid(vec![error]))
        }
        None => {
            let stamp = Stamp { base, ..stamp.clone() };
            let item = Item {
                added_by: stamp.author.clone(),
                content: Register::new(value, stamp.clone()),
                removed: Register::new(false, stamp),
            };
            items.insert(id, item);
            Ok(WriteOutcome::Settled)
        }
    }
}

fn remove<T: Clone + PartialEq>(
    items: &mut BTreeMap<crate::ids::ItemId, Item<T>>,
    id: crate::ids::ItemId,
    base: u64,
    stamp: &Stamp,
) -> Option<()> {
    items.get_mut(&id)?.removed.write(true, base, stamp.clone());
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CustomerName;
    use crate::archive::{Feedback, FeedbackKind, FeedbackStatus, Order};
    use crate::ids::{ClientId, CustomerId, ItemId, MutationId, UserId};
    use crate::money::{Currency, Money};
    use crate::mutation::Mutation;
    use crate::time::Timestamp;

    fn today() -> Date {
        Date::new(2026, 11, 23).unwrap()
    }

    struct Client {
        id: ClientId,
        seq: u64,
        user: &'static str,
    }

    impl Client {
        fn new(user: &'static str) -> Self {
            Self { id: ClientId::new(), seq: 0, user }
        }

        fn make(&mut self, customer: CustomerId, change: Change) -> Mutation {
            self.seq += 1;
            Mutation {
                id: MutationId::new(),
                client: self.id,
                seq: self.seq,
                author: UserId(self.user.into()),
                client_time: Timestamp(0),
                customer,
                change,
            }
        }
    }

    /// A server: applies mutations in arrival order, stamping versions 1, 2, ...
    struct Server {
        customer: Option<Customer>,
        version: u64,
    }

    impl Server {
        fn new() -> Self {
            Self { customer: None, version: 0 }
        }

        fn push(&mut self, m: &Mutation) -> Result<Applied, Rejection> {
            self.version += 1;
            let ctx = ApplyContext { version: self.version, today: today() };
            let (customer, applied) = apply(self.customer.as_ref(), m, &ctx)?;
            self.customer = Some(customer);
            Ok(applied)
        }

        fn get(&self) -> &Customer {
            self.customer.as_ref().unwrap()
        }
    }

    fn name(s: &str) -> FieldValue {
        FieldValue::Name(CustomerName::parse(s).unwrap())
    }

    fn created(client: &mut Client) -> (Server, CustomerId) {
        let id = CustomerId::new();
        let mut server = Server::new();
        let fields = Box::new(Fields::named(CustomerName::parse("张三").unwrap()));
        server.push(&client.make(id, Change::Create { fields })).unwrap();
        (server, id)
    }

    fn set(value: FieldValue, base: u64) -> Change {
        Change::SetFields { edits: vec![FieldEdit { value, base }] }
    }

    #[test]
    fn a_mutation_delivered_twice_takes_effect_once() {
        let mut a = Client::new("a");
        let (mut server, id) = created(&mut a);
        let m = a.make(id, set(name("张三丰"), 1));
        server.push(&m).unwrap();
        let once = server.get().clone();
        assert_eq!(server.push(&m).unwrap(), Applied::Duplicate);
        assert_eq!(server.get(), &once);
    }

    fn custom(key: &str, value: Option<&str>, base: u64) -> Change {
        use crate::custom_field::{CustomEdit, CustomValue};
        let value = value.map(|v| CustomValue::Text(v.into()));
        Change::SetCustom { edits: vec![CustomEdit { key: key.into(), value, base }] }
    }

    #[test]
    fn concurrent_edits_of_a_custom_field_are_a_conflict_and_a_later_write_settles_it() {
        let (mut a, mut b) = (Client::new("a"), Client::new("b"));
        let (mut server, id) = created(&mut a);
        server.push(&a.make(id, custom("plate", Some("京A12345"), 1))).unwrap();
        let Applied::Done { conflicts } =
            server.push(&b.make(id, custom("plate", Some("京B54321"), 1))).unwrap()
        else {
            panic!("applied twice")
        };
        assert_eq!(conflicts, vec![Subject::Custom("plate".into())]);
        assert!(server.get().has_conflicts());
        // b's second word replaces its first; a's stays until someone who saw both writes.
        server.push(&a.make(id, custom("plate", None, server.version))).unwrap();
        let after = server.get();
        assert!(!after.has_conflicts());
        assert!(!after.fields.custom.contains_key("plate"), "emptying is a write like any other");
    }

    #[test]
    fn a_custom_value_that_breaks_the_shape_rules_is_refused_without_definitions() {
        let mut a = Client::new("a");
        let (mut server, id) = created(&mut a);
        let long = "长".repeat(crate::custom_field::MAX_TEXT + 1);
        let refused = server.push(&a.make(id, custom("plate", Some(&long), 1))).unwrap_err();
        assert_eq!(refused.errors[0].code, "custom.plate.too_long");
        assert_eq!(server.push(&a.make(id, custom("Bad Key", Some("x"), 1))).unwrap_err().code, "invalid");
    }

    #[test]
    fn merging_fills_custom_fields_the_kept_archive_lacks() {
        let mut a = Client::new("a");
        let (mut server, id) = created(&mut a);
        server.push(&a.make(id, custom("plate", Some("京A12345"), 1))).unwrap();
        let (mut other, other_id) = created(&mut a);
        other.push(&a.make(other_id, custom("plate", Some("沪C00001"), 1))).unwrap();
        other.push(&a.make(other_id, custom("colour", Some("白"), 2))).unwrap();
        let merge = a.make(id, Change::Merge { from: other_id, base: 2, edits: Vec::new() });
        let ctx = ApplyContext { version: 9, today: today() };
        let (kept, _, _) = apply_merge(server.get(), other.get(), &merge, &ctx).unwrap();
        let text = |k: &str| kept.fields.custom.get(k).map(|v| v.text());
        assert_eq!(text("plate").as_deref(), Some("京A12345"), "a filled field keeps its value");
        assert_eq!(text("colour").as_deref(), Some("白"));
    }

    #[test]
    fn creating_an_archive_that_exists_is_refused() {
        let mut a = Client::new("a");
        let (mut server, id) = created(&mut a);
        let fields = Box::new(Fields::named(CustomerName::parse("李四").unwrap()));
        assert_eq!(server.push(&a.make(id, Change::Create { fields })).unwrap_err().code, "customer.exists");
    }

    #[test]
    fn editing_an_unknown_archive_is_refused() {
        let mut a = Client::new("a");
        let mut server = Server::new();
        let err = server.push(&a.make(CustomerId::new(), set(name("x"), 0))).unwrap_err();
        assert_eq!(err.code, "customer.not_found");
    }

    #[test]
    fn a_birthday_in_the_future_is_rejected_and_nothing_changes() {
        let mut a = Client::new("a");
        let (mut server, id) = created(&mut a);
        let before = server.get().clone();
        let tomorrow = Date::new(2026, 11, 24).unwrap();
        let edits = vec![
            FieldEdit { value: name("张三丰"), base: 1 },
            FieldEdit { value: FieldValue::Birthday(Some(tomorrow)), base: 1 },
        ];
        let err = server.push(&a.make(id, Change::SetFields { edits })).unwrap_err();
        assert_eq!(err.code, "invalid");
        assert_eq!(err.errors[0].code, "birthday.in_future");
        assert_eq!(server.get(), &before);
    }

    #[test]
    fn an_id_number_is_checked_by_the_kind_the_archive_has_after_the_change() {
        use crate::archive::PartyKind;
        let id_number = |n: &str| FieldValue::IdNumber(Some(n.into()));
        let mut a = Client::new("a");
        let (mut server, id) = created(&mut a);
        let typo = server.push(&a.make(id, set(id_number("110105194912310021"), 1))).unwrap_err();
        assert_eq!(typo.errors[0].code, "id_number.check_digit");
        server.push(&a.make(id, set(id_number("11010519491231002X"), 1))).unwrap();

        // The same edit turning the archive into a company reads a credit code.
        let edits = |code: &str| {
            vec![
                FieldEdit { value: FieldValue::Kind(PartyKind::Company), base: 1 },
                FieldEdit { value: id_number(code), base: 3 },
            ]
        };
        let wrong =
            server.push(&a.make(id, Change::SetFields { edits: edits("91350100M000100Y44") })).unwrap_err();
        assert_eq!(wrong.errors[0].code, "id_number.check_character");
        server.push(&a.make(id, Change::SetFields { edits: edits("91350100M000100Y43") })).unwrap();
        assert_eq!(server.get().fields.kind, PartyKind::Company);

        let mut fields = Fields::named(CustomerName::parse("李四").unwrap());
        fields.id_number = Some("4403041990030712".into());
        let short =
            Server::new().push(&a.make(CustomerId::new(), Change::Create { fields: Box::new(fields) }));
        assert_eq!(short.unwrap_err().errors[0].code, "id_number.length");
    }

    #[test]
    fn concurrent_edits_of_a_field_conflict_and_the_first_value_stays() {
        let (mut a, mut b) = (Client::new("a"), Client::new("b"));
        let (mut server, id) = created(&mut a);
        server.push(&a.make(id, set(name("张三丰"), 1))).unwrap();
        let applied = server.push(&b.make(id, set(name("张三峰"), 1))).unwrap();
        assert_eq!(applied, Applied::Done { conflicts: vec![Subject::Field(FieldName::Name)] });
        let c = server.get();
        assert_eq!(c.fields.name.as_str(), "张三丰");
        assert_eq!(c.field_meta[&FieldName::Name].rivals[0].value, name("张三峰"));
        assert_eq!(c.field_meta[&FieldName::Name].rivals[0].stamp.author, UserId("b".into()));
        assert!(c.has_conflicts());
    }

    #[test]
    fn resolving_a_conflict_settles_it_with_the_chosen_value() {
        let (mut a, mut b) = (Client::new("a"), Client::new("b"));
        let (mut server, id) = created(&mut a);
        server.push(&a.make(id, set(name("张三丰"), 1))).unwrap();
        server.push(&b.make(id, set(name("张三峰"), 1))).unwrap();
        let seen = server.get().version;
        let resolve =
            Change::ResolveConflict { edits: vec![FieldEdit { value: name("张三峰"), base: seen }] };
        server.push(&a.make(id, resolve)).unwrap();
        assert_eq!(server.get().fields.name.as_str(), "张三峰");
        assert!(!server.get().has_conflicts());
    }

    #[test]
    fn two_offline_edits_in_a_row_from_one_client_do_not_conflict() {
        let mut a = Client::new("a");
        let (mut server, id) = created(&mut a);
        server.push(&a.make(id, set(name("张三丰"), 1))).unwrap();
        let applied = server.push(&a.make(id, set(name("张三峰"), 1))).unwrap();
        assert_eq!(applied, Applied::Done { conflicts: vec![] });
        assert_eq!(server.get().fields.name.as_str(), "张三峰");
    }

    #[test]
    fn appends_from_two_clients_never_conflict() {
        let (mut a, mut b) = (Client::new("a"), Client::new("b"));
        let (mut server, id) = created(&mut a);
        let order = |amount: &str| Order {
            product: "滤芯".into(),
            quantity: 2,
            amount: Money::parse(amount, Currency::cny()).unwrap(),
            date: today(),
            channel: None,
            ends_on: None,
        };
        let first = Change::PutOrder { id: ItemId::new(), order: order("10"), base: 1 };
        let second = Change::PutOrder { id: ItemId::new(), order: order("20"), base: 1 };
        assert_eq!(server.push(&a.make(id, first)).unwrap(), Applied::Done { conflicts: vec![] });
        assert_eq!(server.push(&b.make(id, second)).unwrap(), Applied::Done { conflicts: vec![] });
        assert_eq!(server.get().orders.len(), 2);
    }

    #[test]
    fn an_order_with_no_quantity_or_a_negative_amount_is_refused() {
        let mut a = Client::new("a");
        let (mut server, id) = created(&mut a);
        let order = Order {
            product: " ".into(),
            quantity: 0,
            amount: Money { minor: -1, currency: Currency::cny() },
            date: today(),
            channel: None,
            ends_on: None,
        };
        let err =
            server.push(&a.make(id, Change::PutOrder { id: ItemId::new(), order, base: 1 })).unwrap_err();
        let codes: Vec<&str> = err.errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["product.required", "quantity.not_positive", "amount.negative"]);
    }

    #[test]
    fn an_edit_that_did_not_see_a_deletion_is_kept_and_flagged_and_a_restore_brings_it_back() {
        let (mut a, mut b) = (Client::new("a"), Client::new("b"));
        let (mut server, id) = created(&mut a);
        server.push(&a.make(id, Change::Delete { base: 1 })).unwrap();
        server.push(&b.make(id, set(name("张三丰"), 1))).unwrap();
        let c = server.get();
        assert!(c.deleted(), "the delete wins");
        let flagged = c.edits_while_deleted();
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].subject, Subject::Field(FieldName::Name));
        assert_eq!(flagged[0].stamp.author, UserId("b".into()));
        let seen = c.version;
        server.push(&a.make(id, Change::Restore { base: seen })).unwrap();
        assert!(!server.get().deleted());
        assert_eq!(server.get().fields.name.as_str(), "张三丰");
    }

    #[cfg(feature = "server")]
    #[test]
    fn the_server_rejects_a_number_its_metadata_knows_is_not_allocated() {
        use crate::archive::{LabelledPhone, PhoneLabel};
        let mut a = Client::new("a");
        let (_, id) = created(&mut a);
        let phones = |raw: &str| {
            FieldValue::Phones(vec![LabelledPhone {
                label: PhoneLabel::Work,
                number: crate::Phone::parse(raw).unwrap(),
            }])
        };
        let good = a.make(id, set(phones("13800138000"), 1));
        assert_eq!(server_checks(&good), Ok(()));
        let bad = a.make(id, set(phones("+44 0000 000000"), 1));
        let err = server_checks(&bad).unwrap_err();
        assert_eq!(err.code, "invalid");
        assert_eq!(err.errors[0].code, "phones.invalid");
    }

    #[test]
    fn a_merge_keeps_everything_of_both_archives_and_deletes_the_one_merged_away() {
        use crate::archive::{Interaction, InteractionKind, LabelledPhone, PhoneLabel};
        let mut a = Client::new("a");
        let (mut keep, keep_id) = created(&mut a);
        let (mut other, other_id) = created(&mut a);
        let phone = |raw: &str| LabelledPhone {
            label: PhoneLabel::Mobile,
            number: crate::Phone::parse(raw).unwrap(),
        };
        keep.push(&a.make(keep_id, set(FieldValue::Phones(vec![phone("13800138000")]), 1))).unwrap();
        other
            .push(
                &a.make(
                    other_id,
                    set(FieldValue::Phones(vec![phone("13800138000"), phone("13900139000")]), 1),
                ),
            )
            .unwrap();
        other.push(&a.make(other_id, set(FieldValue::Region(Some("华东".into())), 1))).unwrap();
        let order = Order {
            product: "净水器".into(),
            quantity: 1,
            amount: Money::parse("2999", Currency::cny()).unwrap(),
            date: today(),
            channel: None,
            ends_on: None,
        };
        keep.push(&a.make(keep_id, Change::PutOrder { id: ItemId::new(), order: order.clone(), base: 1 }))
            .unwrap();
        other.push(&a.make(other_id, Change::PutOrder { id: ItemId::new(), order, base: 1 })).unwrap();
        let visit = Interaction {
            kind: InteractionKind::Visit,
            at: Timestamp(0),
            summary: "上门安装".into(),
            satisfaction: Some(5),
            next_follow_up: None,
        };
        other
            .push(
                &a.make(other_id, Change::PutInteraction { id: ItemId::new(), interaction: visit, base: 1 }),
            )
            .unwrap();

        let m = a.make(keep_id, Change::Merge { from: other_id, base: 9, edits: Vec::new() });
        let ctx = ApplyContext { version: 10, today: today() };
        let (merged, gone, _) = apply_merge(keep.get(), other.get(), &m, &ctx).unwrap();
        assert_eq!(merged.orders.len(), 2);
        assert_eq!(merged.interactions.len(), 1);
        assert_eq!(merged.fields.phones.len(), 2, "phones united without repeats");
        assert_eq!(merged.fields.region.as_deref(), Some("华东"), "an empty field is filled");
        assert!(gone.deleted());
        assert_eq!(gone.merged_into, Some(keep_id));
        assert_eq!(apply_merge(&merged, &gone, &m, &ctx).unwrap().2, Applied::Duplicate);

        // A person's choices win over what the merge keeps; a bad one is refused whole.
        let chosen = vec![FieldEdit { value: FieldValue::Region(Some("华南".into())), base: 0 }];
        let m = a.make(keep_id, Change::Merge { from: other_id, base: 9, edits: chosen });
        let (merged, _, _) = apply_merge(keep.get(), other.get(), &m, &ctx).unwrap();
        assert_eq!(merged.fields.region.as_deref(), Some("华南"));
        assert_eq!(merged.orders.len(), 2, "and everything of both is still kept");
        let wrong = vec![FieldEdit { value: FieldValue::Region(Some("区".repeat(200))), base: 0 }];
        let m = a.make(keep_id, Change::Merge { from: other_id, base: 9, edits: wrong });
        let err = apply_merge(keep.get(), other.get(), &m, &ctx).unwrap_err();
        assert_eq!(err.refusal(), Some(Refusal::Invalid));
    }

    #[test]
    fn feedback_moves_forward_through_its_states_only() {
        let mut a = Client::new("a");
        let (mut server, id) = created(&mut a);
        let item = ItemId::new();
        let feedback = |status| Feedback {
            kind: FeedbackKind::Complaint,
            content: "安装师傅迟到".into(),
            status,
            resolution: None,
            satisfaction: None,
            received_at: Timestamp(0),
            severity: Default::default(),
        };
        for status in [
            FeedbackStatus::Open,
            FeedbackStatus::InProgress,
            FeedbackStatus::Resolved,
            FeedbackStatus::Closed,
        ] {
            server
                .push(&a.make(id, Change::PutFeedback { id: item, feedback: feedback(status), base: 1 }))
                .unwrap();
        }
        let err = server
            .push(&a.make(
                id,
                Change::PutFeedback { id: item, feedback: feedback(FeedbackStatus::Open), base: 1 },
            ))
            .unwrap_err();
        assert_eq!(err.errors[0].code, "status.closed_to_open");
    }
}
