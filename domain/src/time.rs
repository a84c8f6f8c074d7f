//! Calendar dates and instants without a clock.
//!
//! Nothing in this crate reads the time: callers pass "today" and "now" in,
//! because `std::time::SystemTime::now()` panics in the browser and because
//! rules that depend on the date must give the same answer on both sides.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// 1900-01-01T00:00:00Z, the earliest instant an archive holds.
    pub const EARLIEST: Self = Self(-2_208_988_800_000);
    /// 3000-01-01T00:00:00Z, past the latest one.
    pub const END: Self = Self(32_503_680_000_000);

    /// The calendar date of this instant in UTC+8 (China Standard Time),
    /// the day a rep in China would name.
    pub fn date_cst(self) -> Date {
        const DAY_MS: i64 = 86_400_000;
        const CST_MS: i64 = 8 * 3_600_000;
        Date::from_days_since_epoch(self.0.saturating_add(CST_MS).div_euclid(DAY_MS))
    }

    /// This instant as a person in China reads it: `2026-12-05 06:42`
    /// (UTC+8, to the minute).
    pub fn cst_minute(self) -> String {
        let minute = (self.0.div_euclid(60_000) + 8 * 60).rem_euclid(24 * 60);
        format!("{} {:02}:{:02}", self.date_cst(), minute / 60, minute % 60)
    }

    /// This instant, if it lies in the years dates may have (1900 to 2999);
    /// `field.out_of_range` otherwise.
    pub fn check(self, field: &str) -> Result<Self, FieldError> {
        if (Self::EARLIEST..Self::END).contains(&self) {
            Ok(self)
        } else {
            Err(FieldError::new(field, "out_of_range"))
        }
    }
}

/// A calendar date (proleptic Gregorian), written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, if `year`-`month`-`day` exists (years 1900 to 2999).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let valid = (1900..=2999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Self { year, month, day })
    }

    /// Reads `YYYY-MM-DD` (also `YYYY/MM/DD` and `YYYY.MM.DD`, as spreadsheets write them).
    pub fn parse_field(raw: &str, field: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        let mut parts = raw.split(['-', '/', '.']);
        let mut next = || parts.next().and_then(|p| p.parse::<u32>().ok());
        let parsed = match (next(), next(), next(), parts.next()) {
            (Some(y), Some(m), Some(d), None) => {
                Self::new(y as i32, u8::try_from(m).ok().unwrap_or(0), u8::try_from(d).ok().unwrap_or(0))
            }
            _ => None,
        };
        parsed.ok_or_else(|| FieldError::new(field, "invalid"))
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Self {
        let z = days.saturating_add(719_468);
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }

    /// Whole days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl TryFrom<String> for Date {
    type Error = FieldError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse_field(&value, "date")
    }
}

impl From<Date> for String {
    fn from(date: Date) -> Self {
        date.to_string()
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_in_the_forms_spreadsheets_write() {
        let expected = Date::new(1990, 5, 17).unwrap();
        for raw in ["1990-05-17", "1990/5/17", "1990.05.17", " 1990-5-17 "] {
            assert_eq!(Date::parse_field(raw, "birthday").unwrap(), expected, "{raw}");
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        for raw in ["1990-02-30", "2023-02-29", "1990-13-01", "1990-00-10", "17/05/1990", "1990-05", "abc"] {
            assert_eq!(Date::parse_field(raw, "birthday").unwrap_err().code, "birthday.invalid", "{raw}");
        }
        assert!(Date::parse_field("2024-02-29", "birthday").is_ok());
    }

    #[test]
    fn day_numbers_round_trip() {
        for days in [-25_567, -1, 0, 1, 10_957, 19_723, 20_000, 47_482] {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
    }

    #[test]
    fn a_timestamp_falls_on_the_china_date() {
        // 2026-11-23T16:30:00Z is already the 24th in Beijing.
        assert_eq!(Timestamp(1_795_451_400_000).date_cst(), Date::new(2026, 11, 24).unwrap());
        assert_eq!(Timestamp(1_795_451_400_000).cst_minute(), "2026-11-24 00:30");
    }
}
