//! Care messages to customers (客户关怀): the one place that decides
//! whether a customer may be written to, when a message may leave, and
//! with which words.
//!
//! A message goes only to a customer who consented to marketing by email
//! (or by no channel in particular), never in the company's quiet hours,
//! and at most a few times a calendar month.

use serde::{Deserialize, Serialize};

use std::collections::{BTreeMap, BTreeSet};

use crate::archive::{ContactChannel, Customer};
use crate::calendar::Festival;
use crate::email::Email;
use crate::field_error::FieldError;
use crate::time::Timestamp;

/// The placeholders a birthday greeting may use: the customer's name, the
/// day of the occasion, and the name of the keeper who looks after them.
pub const PLACEHOLDERS: [&str; 3] = ["name", "date", "keeper"];
/// A festival greeting may name the festival too.
pub const FESTIVAL_PLACEHOLDERS: [&str; 4] = ["name", "date", "keeper", "festival"];
/// Longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;
/// Longest body, in characters.
pub const MAX_BODY: usize = 5_000;

/// A message's words with `{name}`, `{date}` and `{keeper}` to fill in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// The subject line.
    pub subject: String,
    /// The text.
    pub body: String,
}

/// What fills a template's placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    /// The customer's name.
    pub name: String,
    /// The occasion's day, as people write it.
    pub date: String,
    /// The keeper's name.
    pub keeper: String,
    /// The festival's name (a festival greeting's).
    pub festival: String,
}

/// Every `{...}` in `text`, or the first brace that does not pair.
fn placeholders(text: &str) -> Result<Vec<&str>, ()> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(());
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(())?;
        if after[..close].contains('{') {
            return Err(());
        }
        found.push(&after[..close]);
        rest = &after[close + 1..];
    }
    Ok(found)
}

impl Template {
    /// Both parts present, within their lengths, using only [`PLACEHOLDERS`].
    pub fn check(&self) -> Result<(), FieldError> {
        self.check_using(&PLACEHOLDERS)
    }

    /// Both parts present, within their lengths, using only `allowed` placeholders.
    pub fn check_using(&self, allowed: &[&str]) -> Result<(), FieldError> {
        for (field, text, max) in [("subject", &self.subject, MAX_SUBJECT), ("body", &self.body, MAX_BODY)] {
            if text.trim().is_empty() {
                return Err(FieldError::new(field, "required"));
            }
            if text.chars().count() > max {
                return Err(FieldError::new(field, "too_long").with_limit(max as u32));
            }
            let known = placeholders(text).is_ok_and(|names| names.iter().all(|n| allowed.contains(n)));
            if !known {
                return Err(FieldError::new(field, "invalid"));
            }
        }
        Ok(())
    }

    /// The subject and body with the placeholders filled in. The subject
    /// loses line breaks (a header cannot hold them).
    pub fn render(&self, values: &Values) -> (String, String) {
        let fill = |text: &str| {
            text.replace("{name}", &values.name)
                .replace("{date}", &values.date)
                .replace("{keeper}", &values.keeper)
        };
        let subject = fill(&self.subject).replace(['\r', '\n'], " ");
        (subject, fill(&self.body))
    }
}

/// How the company sends care messages. Bumped `version` at each save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareSettings {
    /// Bumped by the server at each change (0: never saved, the defaults).
    #[serde(default)]
    pub version: u64,
    /// The birthday greeting, sent on the day; none: not sent.
    pub birthday_greeting: Option<Template>,
    /// The festival greeting, sent on the festivals chosen; none: not sent.
    #[serde(default)]
    pub festival_greeting: Option<FestivalGreeting>,
    /// Quiet hours (China time) from this hour…
    pub quiet_from_hour: u8,
    /// …to this one: nothing leaves in between. Equal: no quiet hours.
    pub quiet_until_hour: u8,
    /// Care messages per customer per calendar month, at most.
    pub monthly_cap: u8,
    /// How often each product is serviced, in days (保养周期), by the
    /// product's name as orders write it: its keeper is reminded when an
    /// order's next service is due.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_intervals: BTreeMap<String, u16>,
}

/// Most products with a service interval.
pub const MAX_SERVICED_PRODUCTS: usize = 200;
/// The longest service interval, in days (ten years).
pub const MAX_SERVICE_DAYS: u16 = 3650;

impl Default for CareSettings {
    fn default() -> Self {
        Self {
            version: 0,
            birthday_greeting: None,
            festival_greeting: None,
            quiet_from_hour: 21,
            quiet_until_hour: 9,
            monthly_cap: 2,
            service_intervals: BTreeMap::new(),
        }
    }
}

/// A greeting sent on festivals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FestivalGreeting {
    /// The festivals it is sent on.
    pub festivals: BTreeSet<Festival>,
    /// Its words, which may name `{festival}`.
    pub template: Template,
}

/// Service intervals as people type them: "空调 180" per line (a colon or
/// an equals sign may stand between), product and days.
pub fn parse_service_intervals(text: &str) -> Result<BTreeMap<String, u16>, FieldError> {
    let bad = || FieldError::new("service_intervals", "invalid");
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let split = line.rfind([' ', '\t', ':', '：', '=']).ok_or_else(bad)?;
        let (product, days) = line.split_at(split);
        let days = days.trim_start_matches([' ', '\t', ':', '：', '=']).trim();
        let product = product.trim_end_matches([' ', '\t', ':', '：', '=']).trim();
        let days: u16 = days.parse().map_err(|_| {
            FieldError::new("service_intervals", "out_of_range").with_limit(u32::from(MAX_SERVICE_DAYS))
        })?;
        if product.is_empty() {
            return Err(bad());
        }
        out.insert(product.to_owned(), days);
    }
    Ok(out)
}

/// Why a customer gets no care message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// No email address on the archive.
    NoEmail,
    /// No consent to marketing by email.
    NoConsent,
    /// This month's messages are used up.
    Capped,
}

impl CareSettings {
    /// Hours within a day, a cap from 1 to 31, a greeting that checks.
    pub fn check(&self) -> Result<(), FieldError> {
        for (field, hour) in [("quiet_from", self.quiet_from_hour), ("quiet_until", self.quiet_until_hour)] {
            if hour > 23 {
                return Err(FieldError::new(field, "out_of_range").with_limit(23));
            }
        }
        if !(1..=31).contains(&self.monthly_cap) {
            return Err(FieldError::new("monthly_cap", "out_of_range").with_limit(31));
        }
        if self.service_intervals.len() > MAX_SERVICED_PRODUCTS {
            return Err(
                FieldError::new("service_intervals", "too_many").with_limit(MAX_SERVICED_PRODUCTS as u32)
            );
        }
        for (product, days) in &self.service_intervals {
            if product.trim().is_empty() || product.trim() != product || product.chars().count() > 60 {
                return Err(FieldError::new("service_intervals", "invalid"));
            }
            if !(1..=MAX_SERVICE_DAYS).contains(days) {
                return Err(FieldError::new("service_intervals", "out_of_range")
                    .with_limit(u32::from(MAX_SERVICE_DAYS)));
            }
        }
        if let Some(greeting) = &self.festival_greeting {
            if greeting.festivals.is_empty() {
                return Err(FieldError::new("festivals", "required"));
            }
            greeting.template.check_using(&FESTIVAL_PLACEHOLDERS)?;
        }
        self.birthday_greeting.as_ref().map_or(Ok(()), Template::check)
    }

    /// The festival `day` is, if the festival greeting is sent on it.
    pub fn festival_on(&self, day: crate::time::Date) -> Option<Festival> {
        let greeting = self.festival_greeting.as_ref()?;
        greeting.festivals.iter().copied().find(|f| f.day_in(day.year()) == Some(day))
    }

    /// Whether `hour` (0 to 23, company time) is in the quiet hours.
    fn quiet_at(&self, hour: u8) -> bool {
        let (from, until) = (self.quiet_from_hour, self.quiet_until_hour);
        match from.cmp(&until) {
            std::cmp::Ordering::Equal => false,
            std::cmp::Ordering::Less => from <= hour && hour < until,
            std::cmp::Ordering::Greater => hour >= from || hour < until,
        }
    }

    /// The first instant at or after `now` outside the quiet hours, on the
    /// company's clocks.
    pub fn send_after(&self, now: Timestamp) -> Timestamp {
        crate::time::with_company_zone(|zone| self.send_after_in(now, zone))
    }

    /// The first instant at or after `now` outside the quiet hours on
    /// `zone`'s clocks.
    pub fn send_after_in(&self, now: Timestamp, zone: &crate::time::Zone) -> Timestamp {
        let mut at = now;
        // A day has 24 hours to look at (25 on the night clocks go back).
        for _ in 0..26 {
            if !self.quiet_at(zone.hour_of(at)) {
                return at;
            }
            at = zone.next_hour(at);
        }
        now
    }

    /// Whether another message fits this month after `sent_this_month`.
    pub fn within_cap(&self, sent_this_month: u32) -> bool {
        sent_this_month < u32::from(self.monthly_cap)
    }
}

/// The address a care message to `customer` goes to, if they may get one:
/// their first email, with consent to marketing by email (or by no
/// channel in particular).
pub fn recipient(customer: &Customer) -> Result<&Email, Skip> {
    let consent = &customer.fields.consent;
    let by_email = matches!(consent.channel, None | Some(ContactChannel::Email));
    if !(consent.marketing && by_email) {
        return Err(Skip::NoConsent);
    }
    customer.fields.emails.first().ok_or(Skip::NoEmail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_intervals_are_read_as_people_type_them() {
        let read = parse_service_intervals("空调 180\n\n净水器：90\n 燃气热水器 = 365 \n").unwrap();
        let expected = [("净水器", 90), ("燃气热水器", 365), ("空调", 180)];
        assert_eq!(read.iter().map(|(p, d)| (p.as_str(), *d)).collect::<Vec<_>>(), expected);
        assert_eq!(parse_service_intervals("空调").unwrap_err().code, "service_intervals.invalid");
        assert_eq!(parse_service_intervals("空调 半年").unwrap_err().code, "service_intervals.out_of_range");
        let settings = CareSettings {
            service_intervals: parse_service_intervals("空调 0").unwrap(),
            ..CareSettings::default()
        };
        assert_eq!(settings.check().unwrap_err().field, "service_intervals");
    }

    fn template(subject: &str, body: &str) -> Template {
        Template { subject: subject.into(), body: body.into() }
    }

    #[test]
    fn a_template_fills_its_placeholders_and_a_subject_stays_on_one_line() {
        let t = template("{name}，生日快乐\n", "亲爱的{name}：\n{date}是您的生日。\n—— {keeper}");
        let values = Values {
            name: "王芳".into(),
            date: "12月9日".into(),
            keeper: "张三".into(),
            festival: String::new(),
        };
        assert_eq!(
            t.render(&values),
            ("王芳，生日快乐 ".to_owned(), "亲爱的王芳：\n12月9日是您的生日。\n—— 张三".to_owned())
        );
    }

    #[test]
    fn a_template_with_an_unknown_placeholder_or_a_stray_brace_is_refused() {
        assert_eq!(template("你好{name}", "{date}").check(), Ok(()));
        assert_eq!(template("你好{phone}", "x").check().unwrap_err().code, "subject.invalid");
        assert_eq!(template("你好", "{name").check().unwrap_err().code, "body.invalid");
        assert_eq!(template("你好", "name}").check().unwrap_err().code, "body.invalid");
        assert_eq!(template(" ", "x").check().unwrap_err().code, "subject.required");
        assert_eq!(template("x", &"长".repeat(MAX_BODY + 1)).check().unwrap_err().code, "body.too_long");
    }

    #[test]
    fn nothing_leaves_in_quiet_hours_and_waits_for_their_end() {
        let settings = CareSettings::default(); // 21:00 to 09:00, China time
        // 2026-12-09 06:30 in China is 2026-12-08 22:30 UTC.
        let early = Timestamp(1_796_769_000_000);
        assert_eq!(crate::time::Timestamp(early.0).local_minute(), "2026-12-09 06:30");
        assert_eq!(settings.send_after(early).local_minute(), "2026-12-09 09:00");
        let noon = Timestamp(early.0 + 6 * 3_600_000);
        assert_eq!(settings.send_after(noon), noon);
        let late = Timestamp(early.0 + 16 * 3_600_000); // 22:30
        assert_eq!(settings.send_after(late).local_minute(), "2026-12-10 09:00");
        let none = CareSettings { quiet_from_hour: 0, quiet_until_hour: 0, ..CareSettings::default() };
        assert_eq!(none.send_after(late), late);
        let daytime = CareSettings { quiet_from_hour: 12, quiet_until_hour: 14, ..CareSettings::default() };
        assert_eq!(daytime.send_after(Timestamp(early.0 + 6 * 3_600_000)).local_minute(), "2026-12-09 14:00");
    }

    #[test]
    fn quiet_hours_are_kept_on_the_company_clocks_wherever_it_is() {
        let settings = CareSettings::default();
        let kolkata = crate::time::Zone::fixed("Asia/Kolkata", 330).unwrap();
        // 2026-12-09 01:00 UTC is 06:30 in Kolkata (quiet) and 09:00 in Beijing (not).
        let at = Timestamp(1_796_778_000_000);
        assert_eq!(settings.send_after_in(at, &crate::time::Zone::china()), at);
        let sent = settings.send_after_in(at, &kolkata);
        assert_eq!(sent.minute_in(&kolkata), "2026-12-09 09:00");
    }

    #[test]
    fn a_festival_greeting_names_the_festival_and_goes_on_the_festivals_chosen() {
        let greeting = FestivalGreeting {
            festivals: BTreeSet::from([Festival::MidAutumn, Festival::SpringFestival]),
            template: template("{festival}快乐", "{name}，祝您{festival}快乐！"),
        };
        let settings = CareSettings { festival_greeting: Some(greeting), ..CareSettings::default() };
        assert_eq!(settings.check(), Ok(()));
        let day = |s: &str| crate::time::Date::parse_field(s, "date").unwrap();
        assert_eq!(settings.festival_on(day("2026-09-25")), Some(Festival::MidAutumn));
        assert_eq!(settings.festival_on(day("2026-02-17")), Some(Festival::SpringFestival));
        assert_eq!(settings.festival_on(day("2026-10-01")), None, "National Day was not chosen");
        // {festival} only where there is one.
        assert_eq!(template("x", "{festival}").check().unwrap_err().code, "body.invalid");
        let none = CareSettings {
            festival_greeting: Some(FestivalGreeting {
                festivals: BTreeSet::new(),
                template: template("x", "y"),
            }),
            ..CareSettings::default()
        };
        assert_eq!(none.check().unwrap_err().code, "festivals.required");
    }

    #[test]
    fn settings_out_of_range_are_refused_by_field() {
        let bad = |s: CareSettings| s.check().unwrap_err().code;
        assert_eq!(
            bad(CareSettings { quiet_from_hour: 24, ..CareSettings::default() }),
            "quiet_from.out_of_range"
        );
        assert_eq!(
            bad(CareSettings { monthly_cap: 0, ..CareSettings::default() }),
            "monthly_cap.out_of_range"
        );
        assert!(CareSettings::default().within_cap(1));
        assert!(!CareSettings::default().within_cap(2));
    }
}
