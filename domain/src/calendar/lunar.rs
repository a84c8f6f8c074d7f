//! The Chinese lunisolar calendar (农历) from 1901 to 2100.
//!
//! A lunar year has 12 months, or 13 when a leap month (闰月) follows one of
//! them; a month has 29 or 30 days, and the year begins at 春节. Which
//! months are long and which is doubled follow the astronomical rules of
//! the national standard (GB/T 33661), so they are kept as a table rather
//! than computed: one word per year, as the almanac of the tyme4rs crate
//! gives them, and the tests check every day of the table against it.

use crate::time::Date;

/// The first lunar year the table covers (it began on 1901-02-19).
pub const FIRST_YEAR: i32 = 1901;
/// The last lunar year the table covers (it ends on 2101-01-28).
pub const LAST_YEAR: i32 = 2100;

/// Days from 1970-01-01 to the first day of [`FIRST_YEAR`].
const FIRST_NEW_YEAR: i64 = -25_153;

/// One word per lunar year from 1901: bit `i` (0 to 12) says the `i`-th
/// month of the year, counting a leap month where it falls, has 30 days;
/// bits 13 to 16 name the month a leap month follows (0: none).
const YEARS: [u32; (LAST_YEAR - FIRST_YEAR + 1) as usize] = [
    0x00752, 0x00ea5, 0x0b64a, 0x0064b, 0x00a9b, 0x0955a, 0x0056a, 0x00b59, 0x056d2, 0x00b52, 0x0db25,
    0x00b25, 0x00a4b, 0x0b4ab, 0x002ad, 0x0056d, 0x04b69, 0x00da9, 0x0fd92, 0x00d92, 0x00d25, 0x0ba4d,
    0x00a56, 0x002b6, 0x095b5, 0x006d4, 0x00da9, 0x05d92, 0x00e92, 0x0cd26, 0x0052b, 0x00a57, 0x0b2b6,
    0x00b5a, 0x006d4, 0x06ec9, 0x00749, 0x0f693, 0x00a93, 0x0052b, 0x0ca5b, 0x00a6d, 0x0036a, 0x09b55,
    0x00ba4, 0x00b49, 0x05a93, 0x00a95, 0x0f52d, 0x00536, 0x00aad, 0x0b5aa, 0x00db2, 0x00da4, 0x07d4a,
    0x00d4a, 0x10a96, 0x00a97, 0x00556, 0x0cab5, 0x00ad5, 0x006d2, 0x08ea5, 0x00ea5, 0x0064a, 0x06c97,
    0x00a9b, 0x0f55a, 0x0056a, 0x00b69, 0x0b752, 0x00b52, 0x00b25, 0x0964b, 0x00a4b, 0x114ab, 0x002ad,
    0x0056d, 0x0cb69, 0x00da9, 0x00d92, 0x09d25, 0x00d25, 0x15a4d, 0x00a56, 0x002b6, 0x0c5b5, 0x006d5,
    0x00ea9, 0x0be92, 0x00e92, 0x00d26, 0x06a56, 0x00a57, 0x114d6, 0x0035a, 0x006d5, 0x0b6c9, 0x00749,
    0x00693, 0x0952b, 0x0052b, 0x00a5b, 0x0555a, 0x0056a, 0x0fb55, 0x00ba4, 0x00b49, 0x0ba93, 0x00a95,
    0x0052d, 0x08aad, 0x00ab5, 0x135aa, 0x005d2, 0x00da5, 0x0dd4a, 0x00d4a, 0x00c95, 0x0952e, 0x00556,
    0x00ab5, 0x055b2, 0x006d2, 0x0cea5, 0x00725, 0x0064b, 0x0ac97, 0x00cab, 0x0055a, 0x06ad6, 0x00b69,
    0x17752, 0x00b52, 0x00b25, 0x0da4b, 0x00a4b, 0x004ab, 0x0a55b, 0x005ad, 0x00b6a, 0x05b52, 0x00d92,
    0x0fd25, 0x00d25, 0x00a55, 0x0b4ad, 0x004b6, 0x005b5, 0x06daa, 0x00ec9, 0x11e92, 0x00e92, 0x00d26,
    0x0ca56, 0x00a57, 0x004d6, 0x086d5, 0x00755, 0x00749, 0x06e93, 0x00693, 0x0f52b, 0x0052b, 0x00a5b,
    0x0b55a, 0x0056a, 0x00b65, 0x0974a, 0x00b4a, 0x11a95, 0x00a95, 0x0052d, 0x0caad, 0x00ab5, 0x005aa,
    0x08ba5, 0x00da5, 0x00d4a, 0x07c95, 0x00c96, 0x0f94e, 0x00556, 0x00ab5, 0x0b5b2, 0x006d2, 0x00ea5,
    0x08e4a, 0x0068b, 0x10c97, 0x004ab, 0x0055b, 0x0cad6, 0x00b6a, 0x00752, 0x09725, 0x00b45, 0x00a8b,
    0x0549b, 0x004ab,
];

/// A day of the lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LunarDate {
    /// The lunar year, named by the Gregorian year it mostly falls in.
    pub year: i32,
    /// 1 (正月) to 12 (腊月).
    pub month: u8,
    /// The leap month that follows `month`.
    pub leap: bool,
    /// 1 to 30.
    pub day: u8,
}

fn word(year: i32) -> Option<u32> {
    let index = usize::try_from(year - FIRST_YEAR).ok()?;
    YEARS.get(index).copied()
}

/// How many months a year's word holds: 13 with a leap month.
const fn month_count(word: u32) -> u32 {
    if (word >> 13) & 0xf != 0 { 13 } else { 12 }
}

/// Days of the `slot`-th month (from 0) of a year's word.
const fn slot_length(word: u32, slot: u32) -> u8 {
    if word & (1 << slot) != 0 { 30 } else { 29 }
}

/// Days from 1970-01-01 to 春节 of each year of the table, and to the end of the last.
const NEW_YEARS: [i64; YEARS.len() + 1] = {
    let mut out = [0; YEARS.len() + 1];
    out[0] = FIRST_NEW_YEAR;
    let mut year = 0;
    while year < YEARS.len() {
        let mut length = 0;
        let mut slot = 0;
        while slot < month_count(YEARS[year]) {
            length += slot_length(YEARS[year], slot) as i64;
            slot += 1;
        }
        out[year + 1] = out[year] + length;
        year += 1;
    }
    out
};

/// The months of `year` in order: (month, leap, days).
fn months(year: i32) -> impl Iterator<Item = (u8, bool, u8)> {
    let word = word(year).unwrap_or(0);
    let leap_after = (word >> 13) & 0xf;
    (0..month_count(word)).map(move |slot| {
        // After a leap month, slot n holds month n; before, month n + 1.
        let (month, leap) = match leap_after {
            0 => (slot + 1, false),
            after if slot < after => (slot + 1, false),
            after => (slot, slot == after),
        };
        (month as u8, leap, slot_length(word, slot))
    })
}

/// Days from 1970-01-01 to 春节 of `year`.
fn new_year(year: i32) -> Option<i64> {
    word(year)?;
    NEW_YEARS.get(usize::try_from(year - FIRST_YEAR).ok()?).copied()
}

/// The leap month of `year`, if it has one.
pub fn leap_month(year: i32) -> Option<u8> {
    let after = ((word(year)? >> 13) & 0xf) as u8;
    (after != 0).then_some(after)
}

/// How many days `month` (the leap one when `leap`) of `year` has; none
/// when the year has no such month.
pub fn month_length(year: i32, month: u8, leap: bool) -> Option<u8> {
    word(year)?;
    months(year).find(|&(m, l, _)| m == month && l == leap).map(|(_, _, days)| days)
}

impl LunarDate {
    /// The lunar date of a Gregorian day (none outside 1901-02-19 to 2101-01-28).
    pub fn from_solar(date: Date) -> Option<Self> {
        let days = date.days_since_epoch();
        // The lunar year starts in January or February of its Gregorian year.
        let year = [date.year(), date.year() - 1]
            .into_iter()
            .find(|&year| new_year(year).is_some_and(|start| start <= days))?;
        let mut offset = days - new_year(year)?;
        for (month, leap, length) in months(year) {
            if offset < i64::from(length) {
                return Some(Self { year, month, leap, day: offset as u8 + 1 });
            }
            offset -= i64::from(length);
        }
        None
    }

    /// The Gregorian day of this lunar date, if it exists.
    pub fn to_solar(self) -> Option<Date> {
        let mut days = new_year(self.year)?;
        for (month, leap, length) in months(self.year) {
            if month == self.month && leap == self.leap {
                return (1..=length)
                    .contains(&self.day)
                    .then(|| Date::from_days_since_epoch(days + i64::from(self.day) - 1));
            }
            days += i64::from(length);
        }
        None
    }

    /// The day in `year` that keeps this date's anniversary, as people
    /// keep a lunar birthday: in the ordinary month of its number (one
    /// born in a leap month celebrates in the ordinary month), on the same
    /// day or the month's last when it is shorter (the 30th in a month of 29).
    pub fn anniversary_in(self, year: i32) -> Option<Date> {
        let length = month_length(year, self.month, false)?;
        Self { year, month: self.month, leap: false, day: self.day.min(length) }.to_solar()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        Date::parse_field(s, "date").unwrap()
    }

    #[test]
    fn spring_festivals_fall_where_the_calendar_puts_them() {
        for (year, on) in [
            (1901, "1901-02-19"),
            (1950, "1950-02-17"),
            (2000, "2000-02-05"),
            (2024, "2024-02-10"),
            (2025, "2025-01-29"),
            (2026, "2026-02-17"),
            (2100, "2100-02-09"),
        ] {
            assert_eq!(LunarDate { year, month: 1, leap: false, day: 1 }.to_solar(), Some(day(on)), "{year}");
        }
    }

    #[test]
    fn a_leap_month_is_found_and_counted() {
        assert_eq!(leap_month(2023), Some(2));
        assert_eq!(leap_month(2025), Some(6));
        assert_eq!(leap_month(2024), None);
        // 2023-03-22 was the first day of the leap second month.
        assert_eq!(
            LunarDate::from_solar(day("2023-03-22")),
            Some(LunarDate { year: 2023, month: 2, leap: true, day: 1 })
        );
    }

    #[test]
    fn days_outside_the_table_have_no_lunar_date() {
        assert_eq!(LunarDate::from_solar(day("1901-02-18")), None);
        assert!(LunarDate::from_solar(day("1901-02-19")).is_some());
        assert!(LunarDate::from_solar(day("2101-01-28")).is_some());
        assert_eq!(LunarDate::from_solar(day("2101-01-29")), None);
        assert_eq!(LunarDate { year: 2101, month: 1, leap: false, day: 1 }.to_solar(), None);
    }

    #[test]
    fn an_anniversary_on_the_thirtieth_falls_on_the_last_day_of_a_short_month() {
        let born = LunarDate { year: 1990, month: 12, leap: false, day: 30 };
        for year in 1991..2030 {
            let on = born.anniversary_in(year).unwrap();
            let lunar = LunarDate::from_solar(on).unwrap();
            assert_eq!((lunar.month, lunar.leap), (12, false));
            assert_eq!(lunar.day, month_length(year, 12, false).unwrap());
        }
    }

    #[test]
    fn one_born_in_a_leap_month_keeps_the_ordinary_month() {
        let born = LunarDate::from_solar(day("2023-03-22")).unwrap();
        assert_eq!(born.anniversary_in(2024), Some(day("2024-03-10")));
    }

    /// Every month of the table against the almanac its words were read
    /// from (its first and last day, which fix the rest), and every day
    /// both ways.
    #[test]
    fn every_month_from_1901_to_2100_agrees_with_the_almanac_and_every_day_goes_both_ways() {
        let almanac = |date: Date| {
            let day = tyme4rs::tyme::solar::SolarDay::from_ymd(
                date.year() as isize,
                date.month() as usize,
                date.day() as usize,
            )
            .get_lunar_day();
            let month = day.get_lunar_month();
            (month.get_year(), month.get_month_with_leap(), day.get_day())
        };
        let ours = |lunar: LunarDate| {
            (lunar.year as isize, lunar.month as isize * if lunar.leap { -1 } else { 1 }, lunar.day as usize)
        };
        let mut first = new_year(FIRST_YEAR).unwrap();
        for year in FIRST_YEAR..=LAST_YEAR {
            for (month, leap, length) in months(year) {
                let last = first + i64::from(length) - 1;
                for (days, day) in [(first, 1), (last, length)] {
                    let date = Date::from_days_since_epoch(days);
                    assert_eq!(almanac(date), ours(LunarDate { year, month, leap, day }), "{date}");
                }
                first = last + 1;
            }
        }
        for days in new_year(FIRST_YEAR).unwrap()..first {
            let date = Date::from_days_since_epoch(days);
            assert_eq!(LunarDate::from_solar(date).and_then(LunarDate::to_solar), Some(date));
        }
    }
}
