//! Rules a value must obey before it is applied, the same in the browser and
//! on the server. Values that parse (names, phones, emails, dates) are valid
//! by construction; what is left are ranges, lengths and dates relative to today.

use crate::FieldError;
use crate::archive::{Contact, Feedback, FieldValue, Interaction, Order, Task};
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
            short_text("preferences.contact_time", p.contact_time.as_deref())
        }
        FieldValue::Consent(c) => short_text("consent.how", c.how.as_deref()),
        FieldValue::SharedWith(users) if users.len() > MAX_SHARED => {
            Err(FieldError::new("shared_with", "too_many").with_limit(MAX_SHARED as u32))
        }
        _ => Ok(()),
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
        if order.quantity == 0 { Err(FieldError::new("quantity", "not_positive")) } else { Ok(()) },
        if order.amount.minor < 0 { Err(FieldError::new("amount", "negative")) } else { Ok(()) },
        short_text("channel", order.channel.as_deref()),
    ])
}

/// An interaction: a summary, and satisfaction from 1 to 5 if given.
pub fn interaction(interaction: &Interaction) -> Result<(), Vec<FieldError>> {
    collect([long_text("summary", Some(&interaction.summary)), satisfaction(interaction.satisfaction)])
}

/// Feedback: what was said, and satisfaction from 1 to 5 if given.
pub fn feedback(feedback: &Feedback) -> Result<(), Vec<FieldError>> {
    collect([
        required("content", &feedback.content),
        long_text("content", Some(&feedback.content)),
        long_text("resolution", feedback.resolution.as_deref()),
        satisfaction(feedback.satisfaction),
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
