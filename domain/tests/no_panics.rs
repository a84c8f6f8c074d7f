//! No input makes the domain panic: parsers take any text, and `apply` takes
//! any mutation a client could send, with numbers at their extremes. A
//! refusal is fine; a panic would take a request (or the browser) down.

use domain::apply::{ApplyContext, apply};
use domain::archive::{FieldValue, Fields, Interaction, InteractionKind, Order};
use domain::ids::{CustomerId, ItemId, UserId};
use domain::money::{Currency, Money};
use domain::mutation::{FieldEdit, Sequencer};
use domain::time::{Date, Timestamp};
use domain::{Change, CustomerName, Email, Mutation, Phone};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 1024, ..ProptestConfig::default() }
}

/// Text people (and attackers) type: any string, and strings built from the
/// characters the parsers look at.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[0-9０-９+＋()（）\\-—. @a-z张王·\u{3000}\u{0}]{0,60}", "[0-9]{0,400}"]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parsers_take_any_text(raw in text()) {
        let _ = Phone::parse(&raw);
        let _ = Email::parse(&raw);
        let _ = CustomerName::parse(&raw);
        let _ = Date::parse_field(&raw, "date");
        let _ = Money::parse(&raw, Currency::cny());
        let _ = Currency::parse(&raw);
        let _ = domain::validate::tag(&raw);
        let _ = serde_json::from_str::<Mutation>(&raw);
    }

    #[test]
    fn apply_takes_any_numbers_a_client_could_send(
        minor in any::<i64>(),
        quantity in any::<u32>(),
        at in any::<i64>(),
        base in any::<u64>(),
        version in any::<u64>(),
        satisfaction in any::<u8>(),
        year in 1900i32..=2999,
        client_time in any::<i64>(),
    ) {
        let today = Date::new(2026, 6, 1).unwrap();
        let mut sequencer = Sequencer::new(UserId("a".into()));
        let id = CustomerId::new();
        let mut fields = Fields::named(CustomerName::parse("张三").unwrap());
        fields.owner = Some(UserId("a".into()));
        let create = sequencer.next(id, Change::Create { fields: Box::new(fields) }, Timestamp(client_time));
        let Ok((customer, _)) = apply(None, &create, &ApplyContext { version: 1, today }) else {
            return Ok(());
        };
        let changes = [
            Change::PutOrder {
                id: ItemId::new(),
                order: Order {
                    product: "净水器".into(),
                    quantity,
                    amount: Money { minor, currency: Currency::cny() },
                    date: Date::new(year, 1, 1).unwrap(),
                    channel: None,
                    ends_on: None,
                },
                base,
            },
            Change::PutInteraction {
                id: ItemId::new(),
                interaction: Interaction {
                    kind: InteractionKind::Visit,
                    at: Timestamp(at),
                    summary: "拜访".into(),
                    satisfaction: Some(satisfaction),
                    next_follow_up: Date::new(year, 2, 28),
                },
                base,
            },
            Change::SetFields { edits: vec![FieldEdit { value: FieldValue::Birthday(Date::new(year, 3, 1)), base }] },
            Change::AddTag { tag: "VIP".into(), base },
            Change::Delete { base },
            Change::Restore { base },
        ];
        let mut current = customer;
        for change in changes {
            let mutation = sequencer.next(id, change, Timestamp(client_time));
            if let Ok((next, _)) = apply(Some(&current), &mutation, &ApplyContext { version, today }) {
                current = next;
            }
        }
        // Whatever was taken, the analytics over it compute without panicking.
        let summary = domain::analytics::summary::summarize(&current, None);
        let _ = domain::analytics::dashboard::overview(&[&summary], today.days_since_epoch());
    }
}
