//! The calendar a rep in China keeps: lunar dates (农历), the solar term
//! 清明, the festivals and public holidays, and when a birthday (solar or
//! lunar, or 29 February) comes round again.

pub mod festival;
pub mod lunar;
pub mod solar_term;

pub use festival::{Festival, festivals_between};
pub use lunar::LunarDate;

use crate::time::Date;

/// The next birthday on or after `today` of someone born on `born`.
///
/// A solar birthday on 29 February is kept on 1 March in other years. A
/// lunar birthday (`lunar`) is the lunar date of the day of birth, kept in
/// each lunar year as [`LunarDate::anniversary_in`] says; a lunar year
/// straddles two Gregorian ones, so a Gregorian year may hold two such
/// birthdays or none. Someone born before 1901-02-19, where the lunar
/// table begins, is taken as solar.
pub fn next_birthday(born: Date, lunar: bool, today: Date) -> Option<Date> {
    let years = today.year() - 1..=today.year() + 1;
    match lunar.then(|| LunarDate::from_solar(born)).flatten() {
        Some(lunar_born) => years.filter_map(|year| lunar_born.anniversary_in(year)).find(|&on| on >= today),
        None => years
            .filter_map(|year| Date::new(year, born.month(), born.day()).or_else(|| Date::new(year, 3, 1)))
            .find(|&on| on >= today),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        Date::parse_field(s, "date").unwrap()
    }

    #[test]
    fn a_leap_day_birthday_falls_on_the_first_of_march_in_other_years() {
        assert_eq!(next_birthday(day("2000-02-29"), false, day("2027-02-10")), Some(day("2027-03-01")));
        assert_eq!(next_birthday(day("2000-02-29"), false, day("2028-02-10")), Some(day("2028-02-29")));
        assert_eq!(next_birthday(day("1990-01-02"), false, day("2026-12-30")), Some(day("2027-01-02")));
    }

    #[test]
    fn a_lunar_birthday_follows_the_lunar_date_of_birth() {
        // Born 1990-03-07, the 11th of the second lunar month.
        let born = day("1990-03-07");
        assert_eq!(LunarDate::from_solar(born).map(|l| (l.month, l.day)), Some((2, 11)));
        assert_eq!(next_birthday(born, true, day("2026-01-01")), Some(day("2026-03-29")));
        assert_eq!(next_birthday(born, true, day("2026-03-29")), Some(day("2026-03-29")));
        assert_eq!(next_birthday(born, true, day("2026-03-30")), Some(day("2027-03-18")));
        assert_eq!(next_birthday(born, false, day("2026-03-01")), Some(day("2026-03-07")));
    }

    #[test]
    fn a_lunar_birthday_in_the_twelfth_month_may_fall_in_january_of_the_next_year() {
        // 腊月初八 1989 was 1990-01-04; in lunar 2025 it is 2026-01-26.
        let born = day("1990-01-04");
        assert_eq!(LunarDate::from_solar(born).map(|l| (l.year, l.month, l.day)), Some((1989, 12, 8)));
        assert_eq!(next_birthday(born, true, day("2026-01-01")), Some(day("2026-01-26")));
        assert_eq!(next_birthday(born, true, day("2026-01-27")), Some(day("2027-01-15")));
    }

    #[test]
    fn a_lunar_birthday_comes_round_once_a_lunar_year_even_twice_in_one_gregorian_year() {
        let born = day("1985-12-25");
        let mut on = next_birthday(born, true, day("1986-01-01")).unwrap();
        let mut per_year = std::collections::BTreeMap::<i32, u32>::new();
        for _ in 0..100 {
            let lunar = LunarDate::from_solar(on).unwrap();
            let born_lunar = LunarDate::from_solar(born).unwrap();
            let month_length = lunar::month_length(lunar.year, born_lunar.month, false).unwrap();
            assert_eq!(
                (lunar.month, lunar.leap, lunar.day),
                (born_lunar.month, false, born_lunar.day.min(month_length))
            );
            *per_year.entry(on.year()).or_default() += 1;
            let next =
                next_birthday(born, true, Date::from_days_since_epoch(on.days_since_epoch() + 1)).unwrap();
            assert!((354..=385).contains(&on.days_until(next)), "{on} {next}");
            on = next;
        }
        assert!(per_year.values().any(|&n| n == 2), "{per_year:?}");
    }

    #[test]
    fn one_born_before_the_lunar_table_is_taken_as_solar() {
        assert_eq!(next_birthday(day("1900-06-01"), true, day("2026-01-01")), Some(day("2026-06-01")));
    }
}
