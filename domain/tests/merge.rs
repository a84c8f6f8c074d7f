//! Properties of mutations and merge, over random offline logs:
//! applying twice equals once, appends commute, and two or three clients'
//! logs delivered in any interleaving converge with no edit lost.

use std::collections::{BTreeMap, BTreeSet};

use domain::archive::{Customer, FieldName, FieldValue, Fields, ItemKind, LifecycleStage, Order, Subject};
use domain::custom_field::{CustomEdit, CustomValue};
use domain::ids::{ClientId, CustomerId, ItemId, MutationId, UserId};
use domain::money::{Currency, Money};
use domain::time::{Date, Timestamp};
use domain::{Applied, ApplyContext, Change, CustomerName, FieldEdit, Mutation, apply};
use proptest::prelude::*;

/// Cases per property (the proptest default is 256).
const CASES: u32 = 400;

fn today() -> Date {
    Date::new(2026, 11, 23).unwrap()
}

/// One edit a rep can make offline, before anything is sent.
#[derive(Debug, Clone)]
enum Op {
    Name(u8),
    Region(u8),
    Stage(u8),
    Tag(u8, bool),
    Append(u8),
    EditSharedOrder(u8),
    RemoveSharedOrder,
    Delete,
    Restore,
    FutureBirthday,
    /// A custom choice field set to a choice, or emptied (none).
    Custom(Option<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..3).prop_map(Op::Name),
        (0u8..3).prop_map(Op::Region),
        (0u8..3).prop_map(Op::Stage),
        (0u8..3, any::<bool>()).prop_map(|(t, add)| Op::Tag(t, add)),
        (1u8..50).prop_map(Op::Append),
        (1u8..4).prop_map(Op::EditSharedOrder),
        Just(Op::RemoveSharedOrder),
        Just(Op::Delete),
        Just(Op::Restore),
        Just(Op::FutureBirthday),
        prop::option::of(0u8..3).prop_map(Op::Custom),
    ]
}

/// The archive every client starts from: created at version 1 with one order.
struct Snapshot {
    customer: Customer,
    id: CustomerId,
    shared_order: ItemId,
}

fn order(yuan: u8) -> Order {
    Order {
        product: "滤芯".into(),
        quantity: 1,
        amount: Money { minor: i64::from(yuan) * 100, currency: Currency::cny() },
        date: today(),
        channel: None,
        ends_on: None,
    }
}

fn snapshot() -> Snapshot {
    let id = CustomerId::new();
    let creator = ClientId::new();
    let shared_order = ItemId::new();
    let m = |seq, change| Mutation {
        id: MutationId::new(),
        client: creator,
        seq,
        author: UserId("creator".into()),
        client_time: Timestamp(0),
        customer: id,
        change,
    };
    let fields = Box::new(Fields::named(CustomerName::parse("张三").unwrap()));
    let ctx = |version| ApplyContext { version, today: today() };
    let (customer, _) = apply(None, &m(1, Change::Create { fields }), &ctx(1)).unwrap();
    let put = Change::PutOrder { id: shared_order, order: order(9), base: 1 };
    let (customer, _) = apply(Some(&customer), &m(2, put), &ctx(2)).unwrap();
    Snapshot { customer, id, shared_order }
}

/// Turns a client's ops into its mutations, all based on the snapshot.
fn log(snapshot: &Snapshot, user: usize, ops: &[Op]) -> Vec<Mutation> {
    let client = ClientId::new();
    let base = snapshot.customer.version;
    let names = ["张三丰", "张三峰", "张叁"];
    let regions = ["华东", "华南", "西北"];
    let stages = [LifecycleStage::New, LifecycleStage::Active, LifecycleStage::Loyal];
    let tags = ["VIP候选", "老客户", "需回访"];
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let set = |value| Change::SetFields { edits: vec![FieldEdit { value, base }] };
            let change = match op {
                Op::Name(n) => set(FieldValue::Name(CustomerName::parse(names[*n as usize]).unwrap())),
                Op::Region(n) => set(FieldValue::Region(Some(regions[*n as usize].into()))),
                Op::Stage(n) => set(FieldValue::Stage(stages[*n as usize])),
                Op::Tag(t, true) => Change::AddTag { tag: tags[*t as usize].into(), base },
                Op::Tag(t, false) => Change::RemoveTag { tag: tags[*t as usize].into(), base },
                Op::Append(yuan) => Change::PutOrder { id: ItemId::new(), order: order(*yuan), base },
                Op::EditSharedOrder(yuan) => {
                    Change::PutOrder { id: snapshot.shared_order, order: order(*yuan), base }
                }
                Op::RemoveSharedOrder => {
                    Change::RemoveItem { kind: ItemKind::Order, id: snapshot.shared_order, base }
                }
                Op::Delete => Change::Delete { base },
                Op::Restore => Change::Restore { base },
                Op::FutureBirthday => set(FieldValue::Birthday(Some(Date::new(2030, 1, 1).unwrap()))),
                Op::Custom(choice) => Change::SetCustom {
                    edits: vec![CustomEdit {
                        key: "level".into(),
                        value: choice.map(|n| CustomValue::Choice(format!("c{n}"))),
                        base,
                    }],
                },
            };
            Mutation {
                id: MutationId::new(),
                client,
                seq: i as u64 + 1,
                author: UserId(format!("rep-{user}")),
                client_time: Timestamp(i as i64),
                customer: snapshot.id,
                change,
            }
        })
        .collect()
}

/// What happened to each mutation when the server applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fate {
    Applied,
    Rejected(String),
}

/// Delivers the logs in the order `schedule` picks (client indices; each
/// client's own order is kept) and returns the final archive and each
/// mutation's fate.
fn deliver(
    snapshot: &Snapshot,
    logs: &[Vec<Mutation>],
    schedule: &[usize],
) -> (Customer, BTreeMap<MutationId, Fate>) {
    let mut next = vec![0usize; logs.len()];
    let mut customer = snapshot.customer.clone();
    let mut version = customer.version;
    let mut fates = BTreeMap::new();
    let mut order: Vec<usize> = schedule.iter().map(|&s| s % logs.len()).collect();
    // Whatever the schedule left over is delivered at the end.
    for (client, log) in logs.iter().enumerate() {
        order.extend(std::iter::repeat_n(client, log.len()));
    }
    for client in order {
        let Some(m) = logs[client].get(next[client]) else { continue };
        next[client] += 1;
        version += 1;
        match apply(Some(&customer), m, &ApplyContext { version, today: today() }) {
            Ok((after, Applied::Done { .. })) => {
                customer = after;
                fates.insert(m.id, Fate::Applied);
            }
            Ok((_, Applied::Duplicate)) => panic!("fresh mutation seen as a duplicate"),
            Err(rejection) => {
                fates.insert(m.id, Fate::Rejected(rejection.code));
            }
        }
    }
    (customer, fates)
}

/// The archive with arrival-dependent details (server versions, which
/// competing value reads as current) taken out: what must converge.
#[derive(Debug, PartialEq, Eq)]
struct Canonical {
    fields: BTreeMap<FieldName, BTreeSet<String>>,
    custom: BTreeMap<String, BTreeSet<String>>,
    tags: BTreeSet<String>,
    orders: BTreeMap<ItemId, BTreeSet<String>>,
    hidden_orders: BTreeSet<ItemId>,
    deleted: bool,
    deleted_edits: BTreeSet<(String, MutationId)>,
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

fn canonical(c: &Customer) -> Canonical {
    let fields = c
        .field_meta
        .iter()
        .map(|(name, meta)| {
            let mut values: BTreeSet<String> = meta.rivals.iter().map(|r| json(&r.value)).collect();
            values.insert(json(&FieldValue::read(&c.fields, *name)));
            (*name, values)
        })
        .collect();
    let orders = c
        .orders
        .iter()
        .map(|(id, item)| (*id, item.content.candidates().map(|cand| json(cand.value)).collect()))
        .collect();
    let custom = c
        .custom_meta
        .iter()
        .map(|(key, meta)| {
            let mut values: BTreeSet<String> = meta.rivals.iter().map(|r| json(&r.value)).collect();
            values.insert(json(&c.fields.custom.get(key)));
            (key.clone(), values)
        })
        .collect();
    Canonical {
        fields,
        custom,
        tags: c.visible_tags().map(str::to_owned).collect(),
        orders,
        hidden_orders: c.orders.iter().filter(|(_, i)| i.hidden()).map(|(id, _)| *id).collect(),
        deleted: c.deleted(),
        deleted_edits: c.edits_while_deleted().iter().map(|d| (json(&d.subject), d.stamp.mutation)).collect(),
    }
}

/// Every client's last word on each subject must survive: as the value, as a
/// competing value, or as the effect it asked for.
fn assert_nothing_vanished(
    snapshot: &Snapshot,
    logs: &[Vec<Mutation>],
    c: &Customer,
    fates: &BTreeMap<MutationId, Fate>,
) {
    let canon = canonical(c);
    for log in logs {
        let mut last: BTreeMap<Subject, &Mutation> = BTreeMap::new();
        for m in log {
            match &fates[&m.id] {
                Fate::Rejected(code) => {
                    assert_eq!(code, "invalid", "only the future birthday is invalid");
                    continue;
                }
                Fate::Applied => {}
            }
            let subject = match &m.change {
                Change::SetFields { edits } => Subject::Field(edits[0].value.name()),
                Change::SetCustom { edits } => Subject::Custom(edits[0].key.clone()),
                Change::AddTag { tag, .. } | Change::RemoveTag { tag, .. } => Subject::Tag(tag.clone()),
                Change::PutOrder { id, .. } | Change::RemoveItem { id, .. } => {
                    Subject::Item(ItemKind::Order, *id)
                }
                Change::Delete { .. } | Change::Restore { .. } => Subject::Deletion,
                other => panic!("unexpected change {other:?}"),
            };
            last.insert(subject, m);
        }
        for (subject, m) in last {
            match (&subject, &m.change) {
                (Subject::Field(name), Change::SetFields { edits }) => {
                    assert!(canon.fields[name].contains(&json(&edits[0].value)), "edit {m:?} vanished");
                }
                (Subject::Custom(key), Change::SetCustom { edits }) => {
                    assert!(canon.custom[key].contains(&json(&edits[0].value)), "edit {m:?} vanished");
                }
                (Subject::Tag(tag), Change::AddTag { .. }) => {
                    assert!(canon.tags.contains(tag), "tag add {m:?} vanished")
                }
                (Subject::Item(_, id), Change::PutOrder { order, .. }) => {
                    assert!(canon.orders[id].contains(&json(order)), "order {m:?} vanished");
                }
                (Subject::Item(_, id), Change::RemoveItem { .. }) => {
                    assert!(canon.hidden_orders.contains(id), "removal {m:?} vanished");
                }
                (Subject::Deletion, Change::Delete { .. }) => assert!(canon.deleted, "delete {m:?} vanished"),
                _ => {}
            }
        }
    }
    let _ = snapshot;
}

fn logs_strategy() -> impl Strategy<Value = (Vec<Vec<Op>>, Vec<usize>, Vec<usize>)> {
    (2usize..=3).prop_flat_map(|clients| {
        (
            prop::collection::vec(prop::collection::vec(op(), 1..8), clients),
            prop::collection::vec(0usize..3, 0..24),
            prop::collection::vec(0usize..3, 0..24),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn any_two_interleavings_of_offline_logs_converge_and_lose_nothing((ops, first, second) in logs_strategy()) {
        let snapshot = snapshot();
        let logs: Vec<Vec<Mutation>> = ops.iter().enumerate().map(|(u, ops)| log(&snapshot, u, ops)).collect();
        let (a, fates_a) = deliver(&snapshot, &logs, &first);
        let (b, fates_b) = deliver(&snapshot, &logs, &second);
        prop_assert_eq!(&fates_a, &fates_b, "a mutation's fate depended on arrival order");
        prop_assert_eq!(canonical(&a), canonical(&b));
        let total: usize = logs.iter().map(Vec::len).sum();
        prop_assert_eq!(fates_a.len(), total, "every mutation has a fate");
        assert_nothing_vanished(&snapshot, &logs, &a, &fates_a);
        assert_nothing_vanished(&snapshot, &logs, &b, &fates_b);
    }

    #[test]
    fn applying_a_mutation_twice_equals_applying_it_once(ops in prop::collection::vec(op(), 1..10)) {
        let snapshot = snapshot();
        let log = log(&snapshot, 0, &ops);
        let mut once = snapshot.customer.clone();
        let mut twice = snapshot.customer.clone();
        for (version, m) in (once.version + 1..).zip(&log) {
            let ctx = ApplyContext { version, today: today() };
            if let Ok((after, _)) = apply(Some(&once), m, &ctx) {
                once = after;
            }
            if let Ok((after, _)) = apply(Some(&twice), m, &ctx) {
                twice = after;
                let (again, applied) = apply(Some(&twice), m, &ctx).unwrap();
                prop_assert_eq!(applied, Applied::Duplicate);
                prop_assert_eq!(&again, &twice);
            }
        }
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn appends_commute(amounts in prop::collection::vec(1u8..50, 1..12), split in 0usize..12) {
        let snapshot = snapshot();
        let ops: Vec<Op> = amounts.iter().map(|&a| Op::Append(a)).collect();
        let split = split.min(ops.len());
        let logs = vec![log(&snapshot, 0, &ops[..split]), log(&snapshot, 1, &ops[split..])];
        let (a, _) = deliver(&snapshot, &logs, &[0; 12]);
        let (b, _) = deliver(&snapshot, &logs, &[1; 12]);
        prop_assert_eq!(a.orders.len(), amounts.len() + 1);
        prop_assert!(!a.has_conflicts());
        prop_assert_eq!(canonical(&a), canonical(&b));
    }
}
