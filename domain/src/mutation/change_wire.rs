//! Reading a change straight into its variant (see [`crate::tag_first`]).
//! Changes travel in every push and sit in every device's outbox; the
//! derived reader of this tagged enum was 18.6 KB (brotli) of the
//! browser's first load.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Change, FieldEdit};
use crate::archive::{Contact, Feedback, Fields, Interaction, ItemKind, Order, Task};
use crate::custom_field::CustomEdit;
use crate::ids::{CustomerId, ItemId, UserId};

/// The variants, as `type` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Type {
    Create,
    SetFields,
    SetCustom,
    ResolveConflict,
    Reassign,
    Claim,
    Recycle,
    AddTag,
    RemoveTag,
    PutContact,
    PutOrder,
    PutInteraction,
    PutFeedback,
    PutTask,
    RemoveItem,
    Delete,
    Merge,
    Restore,
}

/// Every key any variant has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Key {
    Type,
    Fields,
    Edits,
    Owner,
    Base,
    Reason,
    Pool,
    OverLimit,
    Keeper,
    Rule,
    Tag,
    Id,
    Contact,
    Order,
    Interaction,
    Feedback,
    Task,
    Kind,
    From,
    #[serde(other)]
    Other,
}

impl Key {
    /// Whether a change of type `of` has this key; any other key is
    /// skipped unread, as the derived reader skips it.
    fn of(self, of: Type) -> bool {
        use Type as T;
        match self {
            Key::Type | Key::Other => false,
            Key::Fields => of == T::Create,
            Key::Edits => matches!(of, T::SetFields | T::SetCustom | T::ResolveConflict | T::Merge),
            Key::Owner | Key::Reason | Key::OverLimit => of == T::Reassign,
            Key::Pool => matches!(of, T::Reassign | T::Recycle),
            Key::Base => !matches!(of, T::Create | T::SetFields | T::SetCustom | T::ResolveConflict),
            Key::Keeper | Key::Rule => of == T::Recycle,
            Key::Tag => matches!(of, T::AddTag | T::RemoveTag),
            Key::Id => matches!(
                of,
                T::PutContact | T::PutOrder | T::PutInteraction | T::PutFeedback | T::PutTask | T::RemoveItem
            ),
            Key::Contact => of == T::PutContact,
            Key::Order => of == T::PutOrder,
            Key::Interaction => of == T::PutInteraction,
            Key::Feedback => of == T::PutFeedback,
            Key::Task => of == T::PutTask,
            Key::Kind => of == T::RemoveItem,
            Key::From => of == T::Merge,
        }
    }
}

/// What the keys of one change held.
#[derive(Default)]
struct Read {
    fields: Option<Box<Fields>>,
    edits: Option<Vec<FieldEdit>>,
    custom_edits: Option<Vec<CustomEdit>>,
    owner: Option<Option<UserId>>,
    base: Option<u64>,
    reason: Option<Option<String>>,
    pool: Option<Option<String>>,
    over_limit: Option<bool>,
    keeper: Option<UserId>,
    rule: Option<u32>,
    tag: Option<String>,
    id: Option<ItemId>,
    contact: Option<Contact>,
    order: Option<Order>,
    interaction: Option<Interaction>,
    feedback: Option<Feedback>,
    task: Option<Task>,
    kind: Option<ItemKind>,
    from: Option<CustomerId>,
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ChangeVisitor)
    }
}

struct ChangeVisitor;

/// Reads the next value into `slot`, refusing a key given twice.
fn once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    key: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

fn needed<T, E: de::Error>(slot: Option<T>, key: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(key))
}

impl<'de> Visitor<'de> for ChangeVisitor {
    type Value = Change;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a change tagged by `type`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Change, A::Error> {
        let first: Option<String> = map.next_key()?;
        if first.as_deref() != Some("type") {
            return crate::tag_first::reread("type", first, map);
        }
        let of: Type = map.next_value()?;
        let mut read = Read::default();
        while let Some(key) = map.next_key::<Key>()? {
            if key == Key::Type {
                return Err(de::Error::duplicate_field("type"));
            }
            if !key.of(of) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let m = &mut map;
            match key {
                Key::Fields => once(m, &mut read.fields, "fields")?,
                Key::Edits if of == Type::SetCustom => once(m, &mut read.custom_edits, "edits")?,
                Key::Edits => once(m, &mut read.edits, "edits")?,
                Key::Owner => once(m, &mut read.owner, "owner")?,
                Key::Base => once(m, &mut read.base, "base")?,
                Key::Reason => once(m, &mut read.reason, "reason")?,
                Key::Pool => once(m, &mut read.pool, "pool")?,
                Key::OverLimit => once(m, &mut read.over_limit, "over_limit")?,
                Key::Keeper => once(m, &mut read.keeper, "keeper")?,
                Key::Rule => once(m, &mut read.rule, "rule")?,
                Key::Tag => once(m, &mut read.tag, "tag")?,
                Key::Id => once(m, &mut read.id, "id")?,
                Key::Contact => once(m, &mut read.contact, "contact")?,
                Key::Order => once(m, &mut read.order, "order")?,
                Key::Interaction => once(m, &mut read.interaction, "interaction")?,
                Key::Feedback => once(m, &mut read.feedback, "feedback")?,
                Key::Task => once(m, &mut read.task, "task")?,
                Key::Kind => once(m, &mut read.kind, "kind")?,
                Key::From => once(m, &mut read.from, "from")?,
                Key::Type | Key::Other => unreachable!("skipped above"),
            }
        }
        let base = || needed(read.base, "base");
        Ok(match of {
            Type::Create => Change::Create { fields: needed(read.fields, "fields")? },
            Type::SetFields => Change::SetFields { edits: needed(read.edits, "edits")? },
            Type::SetCustom => Change::SetCustom { edits: needed(read.custom_edits, "edits")? },
            Type::ResolveConflict => Change::ResolveConflict { edits: needed(read.edits, "edits")? },
            // An owner left out is none, as serde reads a missing option.
            Type::Reassign => Change::Reassign {
                owner: read.owner.flatten(),
                base: base()?,
                reason: read.reason.flatten(),
                pool: read.pool.flatten(),
                over_limit: read.over_limit.unwrap_or(false),
            },
            Type::Claim => Change::Claim { base: base()? },
            Type::Recycle => Change::Recycle {
                keeper: needed(read.keeper, "keeper")?,
                pool: read.pool.flatten(),
                rule: needed(read.rule, "rule")?,
                base: base()?,
            },
            Type::AddTag => Change::AddTag { tag: needed(read.tag, "tag")?, base: base()? },
            Type::RemoveTag => Change::RemoveTag { tag: needed(read.tag, "tag")?, base: base()? },
            Type::PutContact => Change::PutContact {
                id: needed(read.id, "id")?,
                contact: needed(read.contact, "contact")?,
                base: base()?,
            },
            Type::PutOrder => Change::PutOrder {
                id: needed(read.id, "id")?,
                order: needed(read.order, "order")?,
                base: base()?,
            },
            Type::PutInteraction => Change::PutInteraction {
                id: needed(read.id, "id")?,
                interaction: needed(read.interaction, "interaction")?,
                base: base()?,
            },
            Type::PutFeedback => Change::PutFeedback {
                id: needed(read.id, "id")?,
                feedback: needed(read.feedback, "feedback")?,
                base: base()?,
            },
            Type::PutTask => Change::PutTask {
                id: needed(read.id, "id")?,
                task: needed(read.task, "task")?,
                base: base()?,
            },
            Type::RemoveItem => Change::RemoveItem {
                kind: needed(read.kind, "kind")?,
                id: needed(read.id, "id")?,
                base: base()?,
            },
            Type::Delete => Change::Delete { base: base()? },
            Type::Merge => Change::Merge {
                from: needed(read.from, "from")?,
                base: base()?,
                edits: read.edits.unwrap_or_default(),
            },
            Type::Restore => Change::Restore { base: base()? },
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::archive::{FeedbackKind, FeedbackStatus, FieldValue, InteractionKind, TaskKind};
    use crate::customer::CustomerName;
    use crate::money::{Currency, Money};
    use crate::replica::testing::create;
    use crate::time::{Date, Timestamp};

    /// One change of every type, with every optional key given and left out.
    fn every_change() -> Vec<Change> {
        let edits = vec![FieldEdit { value: FieldValue::Occupation(Some("律师".into())), base: 3 }];
        let contact = Contact {
            name: CustomerName::parse("王五").unwrap(),
            role: Some("采购".into()),
            phones: Vec::new(),
            email: None,
        };
        let order = Order {
            product: "净水器".into(),
            quantity: 2,
            amount: Money::parse("1299.50", Currency::cny()).unwrap(),
            date: Date::from_days_since_epoch(20_000),
            channel: None,
            ends_on: None,
        };
        let interaction = Interaction {
            kind: InteractionKind::Visit,
            at: Timestamp(1_795_000_000_000),
            summary: "回访".into(),
            satisfaction: Some(5),
            next_follow_up: None,
        };
        let feedback = Feedback {
            kind: FeedbackKind::Complaint,
            content: "安装师傅迟到".into(),
            status: FeedbackStatus::Open,
            resolution: None,
            satisfaction: None,
            received_at: Timestamp(0),
            severity: Default::default(),
        };
        let task = Task {
            kind: TaskKind::FollowUp,
            due: Date::from_days_since_epoch(20_001),
            note: None,
            done: false,
            assignee: Some(UserId("li".into())),
        };
        let li = || UserId("li".into());
        vec![
            create("张三"),
            Change::SetFields { edits: edits.clone() },
            Change::SetCustom { edits: vec![CustomEdit { key: "level".into(), value: None, base: 1 }] },
            Change::ResolveConflict { edits: edits.clone() },
            Change::Reassign {
                owner: Some(li()),
                base: 4,
                reason: Some("调岗".into()),
                pool: None,
                over_limit: true,
            },
            Change::Reassign {
                owner: None,
                base: 4,
                reason: None,
                pool: Some("north".into()),
                over_limit: false,
            },
            Change::Claim { base: 2 },
            Change::Recycle { keeper: li(), pool: Some("north".into()), rule: 1, base: 9 },
            Change::Recycle { keeper: li(), pool: None, rule: 0, base: 9 },
            Change::AddTag { tag: "团购".into(), base: 5 },
            Change::RemoveTag { tag: "团购".into(), base: 6 },
            Change::PutContact { id: ItemId::new(), contact, base: 7 },
            Change::PutOrder { id: ItemId::new(), order, base: 7 },
            Change::PutInteraction { id: ItemId::new(), interaction, base: 7 },
            Change::PutFeedback { id: ItemId::new(), feedback, base: 7 },
            Change::PutTask { id: ItemId::new(), task, base: 7 },
            Change::RemoveItem { kind: ItemKind::Order, id: ItemId::new(), base: 8 },
            Change::Delete { base: 10 },
            Change::Merge { from: CustomerId::new(), base: 11, edits },
            Change::Merge { from: CustomerId::new(), base: 11, edits: Vec::new() },
            Change::Restore { base: 12 },
        ]
    }

    #[test]
    fn every_change_reads_back_as_it_was_written() {
        for change in every_change() {
            let text = serde_json::to_string(&change).unwrap();
            assert!(text.starts_with(r#"{"type":"#), "the tag is written first: {text}");
            assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), change, "{text}");
        }
    }

    #[test]
    fn a_tag_after_the_fields_and_keys_of_other_types_still_read() {
        for change in every_change() {
            let Value::Object(written) = serde_json::to_value(&change).unwrap() else { unreachable!() };
            let mut parts: Vec<String> = written
                .iter()
                .filter(|(key, _)| *key != "type")
                .map(|(key, value)| format!("{}:{value}", json!(key)))
                .collect();
            parts.push(format!(r#""type":{},"later":[1,2]"#, written["type"]));
            let text = format!("{{{}}}", parts.join(","));
            assert!(!text.starts_with(r#"{"type""#), "{text}");
            assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), change, "{text}");
        }
        // A key another type has, with a value that type would refuse, is
        // skipped as the derived reader skipped it.
        let claim = json!({"type": "claim", "base": 2, "fields": "not fields", "tag": 7});
        assert_eq!(serde_json::from_value::<Change>(claim).unwrap(), Change::Claim { base: 2 });
        let reassign = json!({"type": "reassign", "base": 4});
        assert_eq!(
            serde_json::from_value::<Change>(reassign).unwrap(),
            Change::Reassign { owner: None, base: 4, reason: None, pool: None, over_limit: false }
        );
    }

    #[test]
    fn a_change_without_what_its_type_needs_is_refused_by_name() {
        let refused = |text: &str| serde_json::from_str::<Change>(text).expect_err(text).to_string();
        assert!(refused(r#"{"type":"add_tag","base":1}"#).contains("missing field `tag`"));
        assert!(refused(r#"{"type":"set_fields"}"#).contains("missing field `edits`"));
        assert!(refused(r#"{"type":"delete"}"#).contains("missing field `base`"));
        assert!(refused(r#"{"type":"rename","base":1}"#).contains("unknown variant `rename`"));
        assert!(refused(r#"{"type":"claim","base":1,"base":2}"#).contains("duplicate field `base`"));
        assert!(refused(r#"{"type":"claim","type":"delete","base":1}"#).contains("duplicate field `type`"));
        assert!(refused(r#"{"base":1}"#).contains("missing field `type`"));
        assert!(refused(r#"{"type":"claim","base":"two"}"#).contains("invalid type"));
    }
}
