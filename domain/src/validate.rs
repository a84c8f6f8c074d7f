//! Rules a value must obey before it is applied, the same in the browser and
//! on the server. Values that parse (names, phones, emails, dates) are valid
//! by construction; what is left are ranges, lengths and dates relative to today.

use crate::FieldError;
use crate::archive::{Contact, Feedback, FieldValue, Interaction, Order, PartyKind, Task};
use crate::time::Date;

/// Longest free text in a short field (occupation, region, ...), in characters.
pub const MAX_SHORT_TEXT: usize = 100;
/// Longest summary or note, in characters.
pub const MAX_LONG_TEXT: usize = 2000;
/// Longest tag, in characters.
pub const MAX_TAG: usize = 30;
/// Most phone numbers or email addresses on one archive.
pub const MAX_CONTACT_POINTS: usize = 10;

/// Most colleagues one archive is shared with.
pub const MAX_SHARED: usize = 20;
/// The largest amount of one order, in minor units: 10 billion yuan. Sums
/// over a company's orders stay far from overflowing.
pub const MAX_ORDER_MINOR: i64 = 1_000_000_000_000;
/// The most pieces in one order.
pub const MAX_QUANTITY: u32 = 1_000_000;

// Most items of each kind one archive holds, removed ones included, so that
// nobody an archive is shared with can bloat it past what a phone can carry.
/// Contact people.
pub const MAX_CONTACTS: usize = 100;
/// Orders.
pub const MAX_ORDERS: usize = 5_000;
/// Calls, visits and other interactions.
pub const MAX_INTERACTIONS: usize = 5_000;
/// Pieces of feedback.
pub const MAX_FEEDBACK: usize = 1_000;
/// Tasks.
pub const MAX_TASKS: usize = 1_000;
/// Tags, removed ones included.
pub const MAX_TAGS: usize = 100;
/// Brands, colours or notes in the preferences, each.
pub const MAX_PREFERENCE_ENTRIES: usize = 50;

/// Checks one field value.
pub fn field(value: &FieldValue, today: Date) -> Result<(), FieldError> {
    match value {
        FieldValue::Birthday(Some(day)) if *day > today => Err(FieldError::new("birthday", "in_future")),
        FieldValue::Occupation(text) => short_text("occupation", text.as_deref()),
        FieldValue::Industry(text) => short_text("industry", text.as_deref()),
        FieldValue::Region(text) => short_text("region", text.as_deref()),
        FieldValue::IdNumber(text) => short_text("id_number", text.as_deref()),
        FieldValue::Phones(list) if list.len() > MAX_CONTACT_POINTS => {
            Err(FieldError::new("phones", "too_many").with_limit(MAX_CONTACT_POINTS as u32))
        }
        FieldValue::Emails(list) if list.len() > MAX_CONTACT_POINTS => {
            Err(FieldError::new("emails", "too_many").with_limit(MAX_CONTACT_POINTS as u32))
        }
        FieldValue::Address(address) => {
            for (name, part) in [
                ("address.province", &address.province),
                ("address.city", &address.city),
                ("address.district", &address.district),
            ] {
                short_text(name, part.as_deref())?;
            }
            long_text("address.detail", address.detail.as_deref())
        }
        FieldValue::Preferences(p) => {
            let too_long = p
                .brands
                .iter()
                .chain(&p.colours)
                .chain(p.notes.keys())
                .any(|t| t.chars().count() > MAX_SHORT_TEXT);
            if too_long {
                return Err(FieldError::new("preferences", "too_long").with_limit(MAX_SHORT_TEXT as u32));
            }
            if p.notes.values().any(|t| t.chars().count() > MAX_LONG_TEXT) {
                return Err(FieldError::new("preferences", "too_long").with_limit(MAX_LONG_TEXT as u32));
            }
            if [p.brands.len(), p.colours.len(), p.notes.len()]
                .into_iter()
                .any(|n| n > MAX_PREFERENCE_ENTRIES)
            {
                let limit = MAX_PREFERENCE_ENTRIES as u32;
                return Err(FieldError::new("preferences", "too_many").with_limit(limit));
            }
            short_text("preferences.contact_time", p.contact_time.as_deref())
        }
        FieldValue::Category(crate::archive::Category::Custom(name)) => {
            limit("category", Some(name), MAX_TAG)
        }
        FieldValue::Consent(c) => {
            if let Some(at) = c.at {
                at.check("consent.at")?;
            }
            short_text("consent.how", c.how.as_deref())
        }
        FieldValue::SharedWith(users) if users.len() > MAX_SHARED => {
            Err(FieldError::new("shared_with", "too_many").with_limit(MAX_SHARED as u32))
        }
        _ => Ok(()),
    }
}

/// An ID number on an archive of `kind`: see [`crate::identity::check`].
/// Empty is fine; the length limit is [`field`]'s.
pub fn id_number(kind: PartyKind, number: Option<&str>, today: Date) -> Result<(), FieldError> {
    match number.map(str::trim).filter(|n| !n.is_empty()) {
        Some(number) => crate::identity::check(kind, number, today),
        None => Ok(()),
    }
}

/// A tag: trimmed, not empty, not too long.
pub fn tag(raw: &str) -> Result<String, FieldError> {
    let tag = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if tag.is_empty() {
        return Err(FieldError::new("tag", "required"));
    }
    if tag.chars().count() > MAX_TAG {
        return Err(FieldError::new("tag", "too_long").with_limit(MAX_TAG as u32));
    }
    Ok(tag)
}

/// A contact person.
pub fn contact(contact: &Contact) -> Result<(), Vec<FieldError>> {
    collect([short_text("role", contact.role.as_deref()), count("phones", contact.phones.len())])
}

/// An order: something sold, at least one, never a negative amount.
pub fn order(order: &Order) -> Result<(), Vec<FieldError>> {
    collect([
        required("product", &order.product),
        short_text("product", Some(&order.product)),
        match order.quantity {
            0 => Err(FieldError::new("quantity", "not_positive")),
            n if n > MAX_QUANTITY => Err(FieldError::new("quantity", "too_large").with_limit(MAX_QUANTITY)),
            _ => Ok(()),
        },
        match order.amount.minor {
            m if m < 0 => Err(FieldError::new("amount", "negative")),
            m if m > MAX_ORDER_MINOR => Err(FieldError::new("amount", "too_large")),
            _ => Ok(()),
        },
        short_text("channel", order.channel.as_deref()),
        match order.ends_on {
            Some(end) if end < order.date => Err(FieldError::new("ends_on", "before_start")),
            _ => Ok(()),
        },
    ])
}

/// An interaction: a summary, and satisfaction from 1 to 5 if given.
pub fn interaction(interaction: &Interaction) -> Result<(), Vec<FieldError>> {
    collect([
        long_text("summary", Some(&interaction.summary)),
        satisfaction(interaction.satisfaction),
        interaction.at.check("at").map(drop),
    ])
}

/// Feedback: what was said, and satisfaction from 1 to 5 if given.
pub fn feedback(feedback: &Feedback) -> Result<(), Vec<FieldError>> {
    collect([
        required("content", &feedback.content),
        long_text("content", Some(&feedback.content)),
        long_text("resolution", feedback.resolution.as_deref()),
        satisfaction(feedback.satisfaction),
        feedback.received_at.check("received_at").map(drop),
    ])
}

/// A task.
pub fn task(task: &Task) -> Result<(), Vec<FieldError>> {
    collect([long_text("note", task.note.as_deref())])
}

fn satisfaction(score: Option<u8>) -> Result<(), FieldError> {
    match score {
        Some(s) if !(1..=5).contains(&s) => {
            Err(FieldError::new("satisfaction", "out_of_range").with_limit(5))
        }
        _ => Ok(()),
    }
}

fn required(field: &str, text: &str) -> Result<(), FieldError> {
    if text.trim().is_empty() { Err(FieldError::new(field, "required")) } else { Ok(()) }
}

/// Why an archive was moved: optional, one short line.
pub fn reason(text: Option<&str>) -> Result<(), FieldError> {
    short_text("reason", text)
}

fn short_text(field: &str, text: Option<&str>) -> Result<(), FieldError> {
    limit(field, text, MAX_SHORT_TEXT)
}

fn long_text(field: &str, text: Option<&str>) -> Result<(), FieldError> {
    limit(field, text, MAX_LONG_TEXT)
}

fn limit(field: &str, text: Option<&str>, max: usize) -> Result<(), FieldError> {
    match text {
        Some(t) if t.chars().count() > max => Err(FieldError::new(field, "too_long").with_limit(max as u32)),
        _ => Ok(()),
    }
}

fn count(field: &str, n: usize) -> Result<(), FieldError> {
    if n > MAX_CONTACT_POINTS {
        Err(FieldError::new(field, "too_many").with_limit(MAX_CONTACT_POINTS as u32))
    } else {
        Ok(())
    }
}

fn collect<const N: usize>(checks: [Result<(), FieldError>; N]) -> Result<(), Vec<FieldError>> {
    let errors: Vec<FieldError> = checks.into_iter().filter_map(Result::err).collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{InteractionKind, Preferences};
    use crate::money::{Currency, Money};
    use crate::time::Timestamp;

    fn order(minor: i64, quantity: u32) -> Order {
        Order {
            product: "空调".into(),
            quantity,
            amount: Money { minor, currency: Currency::cny() },
            date: Date::new(2026, 1, 2).unwrap(),
            channel: None,
            ends_on: None,
        }
    }

    fn codes(result: Result<(), Vec<FieldError>>) -> Vec<String> {
        result.err().unwrap_or_default().into_iter().map(|e| e.code).collect()
    }

    #[test]
    fn order_amounts_and_quantities_have_sane_bounds() {
        assert!(super::order(&order(MAX_ORDER_MINOR, MAX_QUANTITY)).is_ok());
        assert_eq!(codes(super::order(&order(i64::MAX, 1))), ["amount.too_large"]);
        assert_eq!(codes(super::order(&order(-1, 1))), ["amount.negative"]);
        assert_eq!(codes(super::order(&order(1, u32::MAX))), ["quantity.too_large"]);
    }

    #[test]
    fn a_contract_cannot_end_before_it_was_ordered() {
        let mut contract = order(100, 1);
        contract.ends_on = Some(contract.date);
        assert!(super::order(&contract).is_ok(), "ending the day it starts is fine");
        contract.ends_on = Date::new(2026, 1, 1);
        assert_eq!(codes(super::order(&contract)), ["ends_on.before_start"]);
    }

    #[test]
    fn instants_outside_the_years_of_dates_are_refused() {
        let at = |ms| Interaction {
            kind: InteractionKind::Call,
            at: Timestamp(ms),
            summary: "回访".into(),
            satisfaction: None,
            next_follow_up: None,
        };
        assert!(interaction(&at(1_700_000_000_000)).is_ok());
        assert_eq!(codes(interaction(&at(i64::MAX))), ["at.out_of_range"]);
        assert_eq!(codes(interaction(&at(i64::MIN))), ["at.out_of_range"]);
        // And the date of any instant is computed without overflow.
        assert!(Timestamp(i64::MAX).local_date().year() > 2999);
    }

    #[test]
    fn preferences_are_bounded_in_entries_and_length() {
        let mut p = Preferences::default();
        p.brands = (0..=MAX_PREFERENCE_ENTRIES).map(|i| format!("品牌{i}")).collect();
        let today = Date::new(2026, 1, 2).unwrap();
        assert_eq!(
            field(&FieldValue::Preferences(p.clone()), today).unwrap_err().code,
            "preferences.too_many"
        );
        p.brands.clear();
        p.notes.insert("备注".into(), "长".repeat(MAX_LONG_TEXT + 1));
        assert_eq!(field(&FieldValue::Preferences(p), today).unwrap_err().code, "preferences.too_long");
    }
}
