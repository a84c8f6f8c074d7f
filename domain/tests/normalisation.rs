//! Normalising is idempotent: what was stored reads back as itself, whatever
//! a person typed first.

use domain::time::Date;
use domain::{CustomerName, Email, Phone};
use proptest::prelude::*;

/// Cases per property; the default is 256.
const CASES: u32 = 512;

fn config() -> ProptestConfig {
    ProptestConfig { cases: CASES, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_stored_name_normalises_to_itself(raw in "[ \t\u{3000}a-zA-Z张王李赵·.]{0,40}") {
        if let Ok(name) = CustomerName::parse(&raw) {
            prop_assert_eq!(CustomerName::parse(name.as_str()).unwrap(), name);
        }
    }

    #[test]
    fn a_mobile_number_reads_back_from_e164_and_national_form(
        second in 3u8..=9,
        rest in "[0-9]{9}",
        sep in prop::sample::select(vec!["", " ", "-"]),
        prefix in prop::sample::select(vec!["", "+86 ", "0086", "86"]),
    ) {
        let raw = format!("{prefix}1{second}{sep}{}{sep}{}", &rest[..4], &rest[4..]);
        let phone = Phone::parse(&raw).unwrap();
        prop_assert_eq!(phone.e164(), format!("+861{second}{rest}"));
        prop_assert_eq!(Phone::parse(phone.e164()).unwrap(), phone.clone());
        prop_assert_eq!(Phone::parse(&phone.national()).unwrap(), phone);
    }

    #[test]
    fn a_landline_reads_back_from_e164_and_national_form(
        area in prop::sample::select(vec!["10", "21", "755", "571", "898"]),
        first in 2u8..=9,
        rest in "[0-9]{6,7}",
    ) {
        let raw = format!("0{area}-{first}{rest}");
        let phone = Phone::parse(&raw).unwrap();
        prop_assert_eq!(Phone::parse(phone.e164()).unwrap(), phone.clone());
        prop_assert_eq!(Phone::parse(&phone.national()).unwrap(), phone);
    }

    #[test]
    fn any_accepted_phone_is_stable(raw in "[+0-9 ()-]{0,20}") {
        if let Ok(phone) = Phone::parse(&raw) {
            prop_assert_eq!(Phone::parse(phone.e164()).unwrap(), phone);
        }
    }

    #[test]
    fn a_stored_email_normalises_to_itself(local in "[a-zA-Z0-9._+-]{1,20}", domain in "[a-zA-Z0-9-]{1,12}\\.[a-zA-Z]{2,6}") {
        if let Ok(email) = Email::parse(&format!(" {local}@{domain} ")) {
            prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
        }
    }

    #[test]
    fn a_date_round_trips_through_its_text_and_day_number(days in -25_000i64..300_000) {
        let date = Date::from_days_since_epoch(days);
        prop_assert_eq!(date.days_since_epoch(), days);
        if let Ok(parsed) = Date::parse_field(&date.to_string(), "date") {
            prop_assert_eq!(parsed, date);
        }
    }
}
