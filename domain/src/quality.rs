//! Data quality: how complete the archives are, field by field, and how
//! many values the current rules would refuse. Rules tighten over time (a
//! resident ID now has to pass its check digit; a custom field becomes
//! required), and archives stored before keep what they had: this finds
//! them, so someone can put them right.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::apply::is_empty;
use crate::archive::{Customer, FieldName, FieldValue, PartyKind};
use crate::custom_field::CustomFields;
use crate::ids::CustomerId;
use crate::time::Date;
use crate::validate;

/// Archives named per field as failing, at most.
pub const MAX_EXAMPLES: usize = 20;

/// One field across a team's archives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldQuality {
    /// The field's wire name (`phones`, `id_number`), or `custom.<key>`.
    pub field: String,
    /// Archives the field applies to (a birthday only to persons).
    pub applicable: u32,
    /// Of those, archives where it holds a value.
    pub filled: u32,
    /// Archives whose value the current rules refuse (or a required
    /// custom field left empty).
    pub failing: u32,
    /// Some of the failing archives: id and name, for links.
    pub examples: Vec<(CustomerId, String)>,
}

/// One team's archives (or the pool's: team `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamQuality {
    /// The team, `None` for archives no team holds.
    pub team: Option<String>,
    /// Archives counted.
    pub archives: u32,
    /// Per field, in the order of [`FieldName::ALL`], custom fields last.
    pub fields: Vec<FieldQuality>,
}

/// The report as the page shows it: per team, and the custom field
/// definitions it names (the server's, which a device may not have pulled yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityReport {
    /// Per team, by name, the pool last.
    pub teams: Vec<TeamQuality>,
    /// The definitions, for the custom fields' labels.
    pub custom_fields: CustomFields,
}

/// The fields worth measuring: who keeps an archive and with whom it is
/// shared are not facts about the customer, a kind or a name is always set,
/// and which calendar a birthday is kept by is a detail of the birthday.
fn measured(name: FieldName) -> bool {
    !matches!(
        name,
        FieldName::Owner
            | FieldName::SharedWith
            | FieldName::Kind
            | FieldName::Name
            | FieldName::BirthdayLunar
    )
}

/// Whether `name` means something for an archive of `kind`.
fn applies(name: FieldName, kind: PartyKind) -> bool {
    match name {
        FieldName::Gender | FieldName::Birthday | FieldName::BirthdayLunar | FieldName::Occupation => {
            kind == PartyKind::Person
        }
        FieldName::Industry | FieldName::CompanySize => kind == PartyKind::Company,
        _ => true,
    }
}

/// Whether `value` says something (a list with one entry at least).
fn holds(value: &FieldValue) -> bool {
    match value {
        FieldValue::Phones(phones) => !phones.is_empty(),
        FieldValue::Emails(emails) => !emails.is_empty(),
        other => !is_empty(other),
    }
}

/// Whether the current rules refuse `value` on an archive of `kind`.
fn fails(value: &FieldValue, kind: PartyKind, today: Date) -> bool {
    if validate::field(value, today).is_err() {
        return true;
    }
    match value {
        FieldValue::IdNumber(number) => validate::id_number(kind, number.as_deref(), today).is_err(),
        FieldValue::Phones(phones) => phones.iter().any(|p| crate::Phone::parse(p.number.e164()).is_err()),
        FieldValue::Emails(emails) => emails.iter().any(|e| crate::Email::parse(e.as_str()).is_err()),
        _ => false,
    }
}

#[derive(Default)]
struct Tally {
    applicable: u32,
    filled: u32,
    failing: u32,
    examples: Vec<(CustomerId, String)>,
}

impl Tally {
    fn count(&mut self, customer: &Customer, filled: bool, failing: bool) {
        self.applicable += 1;
        self.filled += u32::from(filled);
        if failing {
            self.failing += 1;
            if self.examples.len() < MAX_EXAMPLES {
                self.examples.push((customer.id, customer.fields.name.as_str().to_owned()));
            }
        }
    }
}

/// The quality of `archives` (each with its team), per team, teams by
/// name and the pool last; deleted archives are left out.
pub fn assess<'a>(
    archives: impl IntoIterator<Item = (&'a Customer, Option<&'a str>)>,
    definitions: &CustomFields,
    today: Date,
) -> Vec<TeamQuality> {
    let mut teams: BTreeMap<(bool, Option<String>), (u32, BTreeMap<String, Tally>)> = BTreeMap::new();
    let order: Vec<String> = FieldName::ALL
        .iter()
        .filter(|n| measured(**n))
        .map(|n| n.as_str().to_owned())
        .chain(definitions.active().map(|d| format!("custom.{}", d.key)))
        .collect();
    for (customer, team) in archives {
        if customer.deleted() {
            continue;
        }
        let kind = customer.fields.kind;
        let (archives, tallies) = teams.entry((team.is_none(), team.map(str::to_owned))).or_default();
        *archives += 1;
        for name in FieldName::ALL.iter().copied().filter(|n| measured(*n) && applies(*n, kind)) {
            let value = FieldValue::read(&customer.fields, name);
            tallies.entry(name.as_str().to_owned()).or_default().count(
                customer,
                holds(&value),
                fails(&value, kind, today),
            );
        }
        for definition in definitions.active() {
            let value = customer.fields.custom.get(&definition.key);
            let failing = match value {
                Some(value) => definition.check_value(value).is_err(),
                None => definition.required,
            };
            tallies.entry(format!("custom.{}", definition.key)).or_default().count(
                customer,
                value.is_some(),
                failing,
            );
        }
    }
    teams
        .into_iter()
        .map(|((_, team), (archives, mut tallies))| TeamQuality {
            team,
            archives,
            fields: order
                .iter()
                .filter_map(|field| {
                    let tally = tallies.remove(field)?;
                    Some(FieldQuality {
                        field: field.clone(),
                        applicable: tally.applicable,
                        filled: tally.filled,
                        failing: tally.failing,
                        examples: tally.examples,
                    })
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Fields, LabelledPhone, PhoneLabel};
    use crate::ids::UserId;
    use crate::mutation::{Change, Sequencer};
    use crate::time::Timestamp;
    use crate::{ApplyContext, CustomerName, Phone, apply};

    fn day(s: &str) -> Date {
        Date::parse_field(s, "date").unwrap()
    }

    fn archive(name: &str, fields: impl FnOnce(&mut Fields)) -> Customer {
        let mut f = Fields::named(CustomerName::parse(name).unwrap());
        fields(&mut f);
        let m = Sequencer::new(UserId("rep".into())).next(
            CustomerId::new(),
            Change::Create { fields: Box::new(f) },
            Timestamp(0),
        );
        apply(None, &m, &ApplyContext { version: 1, today: day("2026-12-05") }).unwrap().0
    }

    fn field<'a>(team: &'a TeamQuality, name: &str) -> &'a FieldQuality {
        team.fields.iter().find(|f| f.field == name).unwrap()
    }

    #[test]
    fn completeness_counts_only_archives_a_field_applies_to_and_an_old_value_the_rules_now_refuse_fails() {
        let phone = LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse("13800138000").unwrap() };
        let with_phone = archive("张三", |f| f.phones = vec![phone.clone()]);
        let company = archive("华为科技", |f| f.kind = PartyKind::Company);
        // Stored before the check digit was checked: the store keeps it as it was.
        let mut old_id = archive("李四", |_| {});
        old_id.fields.id_number = Some("110101199003070000".into());
        let archives = [(&with_phone, Some("东区")), (&company, Some("东区")), (&old_id, None)];
        let report = assess(archives, &CustomFields::default(), day("2026-12-05"));

        assert_eq!(report.iter().map(|t| t.team.as_deref()).collect::<Vec<_>>(), vec![Some("东区"), None]);
        let east = &report[0];
        assert_eq!(east.archives, 2);
        let phones = field(east, "phones");
        assert_eq!((phones.applicable, phones.filled, phones.failing), (2, 1, 0));
        let birthday = field(east, "birthday");
        assert_eq!(birthday.applicable, 1, "a company has no birthday");
        let ids = field(&report[1], "id_number");
        assert_eq!((ids.filled, ids.failing), (1, 1));
        assert_eq!(ids.examples, vec![(old_id.id, "李四".to_owned())]);
    }
}
