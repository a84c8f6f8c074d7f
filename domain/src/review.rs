//! Periodic review: how often each category of archive is looked over, and
//! when an archive has gone quiet for too long. An admin sets the rules;
//! devices get them with their pull, so "reviewed" and the stale list work
//! offline with the numbers the server uses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::archive::{Category, Customer, wire_name};
use crate::field_error::FieldError;
use crate::portfolio::last_contact;
use crate::time::Date;

/// The shortest and longest cycle or quiet spell an admin may set, in days.
pub const DAYS_RANGE: std::ops::RangeInclusive<u16> = 7..=730;

/// The company's review rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRules {
    /// Bumped by the server at each change (0: never saved, the defaults).
    #[serde(default)]
    pub version: u64,
    /// Days between reviews per category (by its wire name: `vip`,
    /// `regular`, a custom key); a category not listed is not reviewed.
    pub cycles: BTreeMap<String, u16>,
    /// An archive with no change and no contact for this many days is
    /// listed to its keeper as gone quiet.
    pub stale_after_days: u16,
}

impl Default for ReviewRules {
    fn default() -> Self {
        Self {
            version: 0,
            cycles: BTreeMap::from([("vip".to_owned(), 90), ("regular".to_owned(), 180)]),
            stale_after_days: 90,
        }
    }
}

impl ReviewRules {
    /// Days between reviews for `category`, if it is reviewed.
    pub fn cycle(&self, category: &Category) -> Option<u16> {
        self.cycles.get(&wire_name(category)).copied()
    }

    /// The next review date after a review on `today`: the cycle of the
    /// archive's category from today. `None` when the category is not reviewed.
    pub fn next_review(&self, category: &Category, today: Date) -> Option<Date> {
        self.cycle(category)
            .map(|days| Date::from_days_since_epoch(today.days_since_epoch() + i64::from(days)))
    }

    /// When `customer` last changed or was last in contact, if that is
    /// longer ago than the quiet spell allows on `today`.
    pub fn quiet_since(&self, customer: &Customer, today: Date) -> Option<Date> {
        let changed = customer.updated_at.local_date();
        let last = last_contact(customer).map_or(changed, |contact| contact.max(changed));
        (last.days_until(today) > i64::from(self.stale_after_days)).then_some(last)
    }

    /// Every number within [`DAYS_RANGE`]; the error names the first
    /// field out of it (`stale`, or the category's key).
    pub fn check(&self) -> Result<(), FieldError> {
        let out_of_range =
            |field: &str| FieldError::new(field, "out_of_range").with_limit(u32::from(*DAYS_RANGE.end()));
        if let Some((key, _)) = self.cycles.iter().find(|(_, days)| !DAYS_RANGE.contains(days)) {
            return Err(out_of_range(key));
        }
        if !DAYS_RANGE.contains(&self.stale_after_days) {
            return Err(out_of_range("stale"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Fields, Interaction, InteractionKind};
    use crate::ids::{CustomerId, ItemId, UserId};
    use crate::mutation::{Change, Sequencer};
    use crate::time::Timestamp;
    use crate::{ApplyContext, CustomerName, apply};

    fn day(s: &str) -> Date {
        Date::parse_field(s, "date").unwrap()
    }

    fn at(s: &str) -> Timestamp {
        Timestamp(day(s).days_since_epoch() * 86_400_000 + 3_600_000)
    }

    /// An archive created on `created`, with a visit on `visited`.
    fn archive(created: &str, visited: Option<&str>) -> Customer {
        let mut client = Sequencer::new(UserId("rep".into()));
        let id = CustomerId::new();
        let create = client.next(
            id,
            Change::Create { fields: Box::new(Fields::named(CustomerName::parse("王五").unwrap())) },
            at(created),
        );
        let ctx = ApplyContext { version: 1, today: day(created) };
        let mut customer = apply(None, &create, &ctx).unwrap().0;
        if let Some(visited) = visited {
            let interaction = Interaction {
                kind: InteractionKind::Visit,
                at: at(visited),
                summary: "回访".into(),
                satisfaction: None,
                next_follow_up: None,
            };
            let visit = client.next(
                id,
                Change::PutInteraction { id: ItemId::new(), interaction, base: 0 },
                at(created),
            );
            customer =
                apply(Some(&customer), &visit, &ApplyContext { version: 2, today: day(created) }).unwrap().0;
        }
        customer
    }

    #[test]
    fn a_review_moves_the_next_one_by_the_cycle_of_the_category() {
        let rules = ReviewRules::default();
        assert_eq!(rules.next_review(&Category::Vip, day("2026-12-05")), Some(day("2027-03-05")));
        assert_eq!(rules.next_review(&Category::Regular, day("2026-12-05")), Some(day("2027-06-03")));
        assert_eq!(rules.next_review(&Category::Churned, day("2026-12-05")), None, "not reviewed");
    }

    #[test]
    fn an_archive_is_quiet_when_neither_a_change_nor_a_contact_is_recent() {
        let rules = ReviewRules { stale_after_days: 90, ..ReviewRules::default() };
        let today = day("2026-12-05");
        assert_eq!(rules.quiet_since(&archive("2026-06-01", None), today), Some(day("2026-06-01")));
        assert_eq!(
            rules.quiet_since(&archive("2026-06-01", Some("2026-11-20")), today),
            None,
            "visited lately"
        );
        assert_eq!(rules.quiet_since(&archive("2026-11-01", None), today), None, "created lately");
    }

    #[test]
    fn cycles_and_the_quiet_spell_are_held_to_a_week_to_two_years() {
        let mut rules = ReviewRules::default();
        assert!(rules.check().is_ok());
        rules.stale_after_days = 1000;
        assert_eq!(rules.check().unwrap_err().field, "stale");
        rules.cycles.insert("vip".into(), 3);
        assert_eq!(rules.check().unwrap_err().field, "vip");
    }
}
