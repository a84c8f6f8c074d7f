//! Custom fields: defined by an admin, brought to devices by the pull,
//! checked in every push, and never losing a stored value.

use domain::Change;
use domain::custom_field::{Choice, CustomEdit, CustomField, CustomKind, CustomValue};
use store::{Outcome, StoreError};

use crate::support::World;

fn level(required: bool) -> CustomField {
    let choice =
        |key: &str, zh: &str| Choice { key: key.into(), zh: zh.into(), en: String::new(), retired: false };
    CustomField {
        key: "level".into(),
        zh: "会员等级".into(),
        en: "Membership".into(),
        kind: CustomKind::Choice,
        required,
        choices: vec![choice("gold", "金卡"), choice("silver", "银卡")],
        retired: false,
    }
}

fn set_level(choice: Option<&str>, base: u64) -> Change {
    let value = choice.map(|c| CustomValue::Choice(c.into()));
    Change::SetCustom { edits: vec![CustomEdit { key: "level".into(), value, base }] }
}

fn refusal(outcome: &Outcome) -> Vec<String> {
    match outcome {
        Outcome::Rejected { errors, .. } => errors.iter().map(|e| e.code.clone()).collect(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn only_an_admin_defines_fields_and_a_pull_brings_them_once() {
    let mut world = World::new().await;
    let customer = world.create("a", "张三").await;
    let refused = world.store.save_custom_fields(&world.viewer("m"), vec![level(false)]).await;
    assert!(matches!(refused, Err(StoreError::Forbidden(_))), "{refused:?}");

    let rep = world.viewer("a");
    let caught_up = world.store.pull(&rep, None, 100).await.unwrap();
    assert_eq!(caught_up.custom_fields, None, "nothing defined, nothing sent");
    let saved = world.store.save_custom_fields(&world.viewer("root"), vec![level(false)]).await.unwrap();
    assert!(saved.version > world.version(customer).await, "the change takes a sync version");

    let cookie = caught_up.cookie.to_string();
    let next = world.store.pull(&rep, Some(&cookie), 100).await.unwrap();
    assert_eq!(
        next.custom_fields.as_ref().map(|d| d.fields.len()),
        Some(1),
        "a device that had not seen them"
    );
    let after = world.store.pull(&rep, Some(&next.cookie.to_string()), 100).await.unwrap();
    assert_eq!(after.custom_fields, None, "a device that has them is not sent them again");
    let first = world.store.pull(&rep, None, 100).await.unwrap();
    assert_eq!(first.custom_fields, Some(saved), "a first pull brings them");
}

#[tokio::test]
async fn a_push_is_checked_against_the_definitions_the_server_has() {
    let mut world = World::new().await;
    let customer = world.create("a", "张三").await;
    world.store.save_custom_fields(&world.viewer("root"), vec![level(false)]).await.unwrap();
    let base = world.version(customer).await;

    let unknown = world.push_one("a", customer, set_level(Some("bronze"), base)).await;
    assert_eq!(refusal(&unknown), ["custom.level.unknown"]);
    let undefined = Change::SetCustom {
        edits: vec![CustomEdit { key: "plate".into(), value: Some(CustomValue::Text("京A".into())), base }],
    };
    assert_eq!(refusal(&world.push_one("a", customer, undefined).await), ["custom.plate.retired"]);

    let applied = world.push_one("a", customer, set_level(Some("gold"), base)).await;
    assert!(matches!(applied, Outcome::Applied { .. }), "{applied:?}");
    let (stored, _) =
        world.store.customer_for(&world.viewer("m"), &customer.to_string()).await.unwrap().unwrap();
    assert_eq!(stored.fields.custom["level"], CustomValue::Choice("gold".into()));
    let audit = world.store.list_audit(&world.viewer("m"), Some(&customer.to_string()), 10).await.unwrap();
    assert!(
        audit.iter().any(|e| e.subject.as_deref() == Some("custom:level")),
        "the change is in the audit trail"
    );

    // Required now: it may not be emptied. An archive created without it (on
    // a device that had not heard yet) is taken, so nothing after it is lost.
    let mut required = level(true);
    required.zh = "等级".into();
    world.store.save_custom_fields(&world.viewer("root"), vec![required]).await.unwrap();
    let base = world.version(customer).await;
    assert_eq!(
        refusal(&world.push_one("a", customer, set_level(None, base)).await),
        ["custom.level.required"]
    );
    let mut fields = domain::archive::Fields::named(domain::CustomerName::parse("李四").unwrap());
    fields.owner = Some(domain::ids::UserId("a".into()));
    let id = domain::ids::CustomerId::new();
    let created = world.push_one("a", id, Change::Create { fields: Box::new(fields) }).await;
    assert!(matches!(created, Outcome::Applied { .. }), "{created:?}");
}

#[tokio::test]
async fn changing_a_definition_never_loses_a_stored_value() {
    let mut world = World::new().await;
    let customer = world.create("a", "张三").await;
    let admin = world.viewer("root");
    world.store.save_custom_fields(&admin, vec![level(false)]).await.unwrap();
    let base = world.version(customer).await;
    world.push_one("a", customer, set_level(Some("silver"), base)).await;

    // Dropping the field, a choice, or changing its kind is refused ...
    let dropped = world.store.save_custom_fields(&admin, Vec::new()).await.unwrap_err();
    assert!(matches!(&dropped, StoreError::Invalid(e) if e.code == "fields.removed"), "{dropped:?}");
    let mut fewer = level(false);
    fewer.choices.pop();
    let fewer = world.store.save_custom_fields(&admin, vec![fewer]).await.unwrap_err();
    assert!(matches!(&fewer, StoreError::Invalid(e) if e.code == "choices.removed"), "{fewer:?}");
    let mut recast = level(false);
    recast.kind = CustomKind::MultiChoice;
    assert!(world.store.save_custom_fields(&admin, vec![recast]).await.is_err());

    // ... retiring is not, and the value stays where it is stored.
    let mut retired = level(false);
    retired.choices[1].retired = true;
    retired.retired = true;
    world.store.save_custom_fields(&admin, vec![retired]).await.unwrap();
    let (stored, _) = world.store.customer_for(&admin, &customer.to_string()).await.unwrap().unwrap();
    assert_eq!(stored.fields.custom["level"], CustomValue::Choice("silver".into()));
    let base = world.version(customer).await;
    assert_eq!(
        refusal(&world.push_one("a", customer, set_level(Some("gold"), base)).await),
        ["custom.level.retired"]
    );
}
