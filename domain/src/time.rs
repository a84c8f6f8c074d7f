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

    /// The calendar date of this instant in the company's time zone: the
    /// day a rep would name.
    pub fn local_date(self) -> Date {
        with_company_zone(|zone| self.date_in(zone))
    }

    /// This instant as a person in the company reads it: `2026-12-05 06:42`
    /// (the company's time zone, to the minute).
    pub fn local_minute(self) -> String {
        with_company_zone(|zone| self.minute_in(zone))
    }

    /// The hour of the day (0 to 23) this instant falls in, company time.
    pub fn local_hour(self) -> u8 {
        with_company_zone(|zone| zone.hour_of(self))
    }

    /// This instant in RFC 3339, UTC, to the millisecond
    /// (`2026-11-23T16:30:00.000Z`), as databases read it.
    pub fn rfc3339(self) -> String {
        let utc = self.0.rem_euclid(DAY_MS);
        let day = Date::from_days_since_epoch(self.0.div_euclid(DAY_MS));
        let (hour, minute, ms) = (utc / HOUR_MS, utc / 60_000 % 60, utc % 60_000);
        format!("{day}T{hour:02}:{minute:02}:{:02}.{:03}Z", ms / 1000, ms % 1000)
    }

    /// The calendar date of this instant in `zone`.
    pub fn date_in(self, zone: &Zone) -> Date {
        Date::from_days_since_epoch(zone.wall_clock(self).div_euclid(DAY_MS))
    }

    /// This instant on `zone`'s clocks, to the minute: `2026-12-05 06:42`.
    pub fn minute_in(self, zone: &Zone) -> String {
        let minute = zone.wall_clock(self).div_euclid(60_000).rem_euclid(24 * 60);
        format!("{} {:02}:{:02}", self.date_in(zone), minute / 60, minute % 60)
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

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// A time zone: its name and the offsets from UTC its clocks have had, each
/// from the instant it began. The server builds it from the time zone
/// database and devices receive it with a pull, so a phone offline in
/// another country still names the company's day, the same one the server
/// names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ZoneParts")]
pub struct Zone {
    name: String,
    shifts: Vec<Shift>,
}

/// From `from` (ms since the epoch) on, clocks are `offset_minutes` ahead
/// of UTC (behind when negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// When the offset begins.
    pub from: i64,
    /// Minutes east of UTC.
    pub offset_minutes: i32,
}

#[derive(Deserialize)]
struct ZoneParts {
    name: String,
    shifts: Vec<Shift>,
}

impl TryFrom<ZoneParts> for Zone {
    type Error = String;

    fn try_from(parts: ZoneParts) -> Result<Self, Self::Error> {
        Zone::new(parts.name, parts.shifts).ok_or_else(|| "not a time zone".to_owned())
    }
}

impl Zone {
    /// The company's zone when none is configured: China Standard Time.
    pub const DEFAULT_NAME: &'static str = "Asia/Shanghai";

    /// The zone, if the shifts are in order and every offset is one clocks
    /// can have (within 18 hours of UTC). The first shift also covers the
    /// time before it.
    pub fn new(name: impl Into<String>, shifts: Vec<Shift>) -> Option<Self> {
        let ordered = shifts.windows(2).all(|pair| pair[0].from < pair[1].from);
        let sane = shifts.iter().all(|s| s.offset_minutes.abs() <= 18 * 60);
        (ordered && sane && !shifts.is_empty()).then(|| Self { name: name.into(), shifts })
    }

    /// A zone whose clocks never change.
    pub fn fixed(name: impl Into<String>, offset_minutes: i32) -> Option<Self> {
        Self::new(name, vec![Shift { from: i64::MIN, offset_minutes }])
    }

    /// China Standard Time (UTC+8, no daylight saving since 1991), the
    /// company's zone until the server says otherwise.
    pub fn china() -> Self {
        Self { name: Self::DEFAULT_NAME.into(), shifts: vec![Shift { from: i64::MIN, offset_minutes: 480 }] }
    }

    /// The zone's name in the time zone database (`Asia/Shanghai`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The offsets this zone has had, oldest first.
    pub fn shifts(&self) -> &[Shift] {
        &self.shifts
    }

    /// Minutes clocks are ahead of UTC at `at`.
    pub fn offset_at(&self, at: Timestamp) -> i32 {
        let after = self.shifts.partition_point(|s| s.from <= at.0);
        self.shifts[after.saturating_sub(1)].offset_minutes
    }

    /// `at` as milliseconds since 1970-01-01 00:00 on this zone's clocks.
    fn wall_clock(&self, at: Timestamp) -> i64 {
        at.0.saturating_add(i64::from(self.offset_at(at)) * 60_000)
    }

    /// The hour of the day (0 to 23) `at` falls in here.
    pub fn hour_of(&self, at: Timestamp) -> u8 {
        self.wall_clock(at).div_euclid(HOUR_MS).rem_euclid(24) as u8
    }

    /// The instant `day` begins on this zone's clocks (its first minute,
    /// where a change of offset skips midnight).
    pub fn start_of(&self, day: Date) -> Timestamp {
        let wall = day.days_since_epoch() * DAY_MS;
        let guess = wall - i64::from(self.offset_at(Timestamp(wall))) * 60_000;
        let start = Timestamp(wall - i64::from(self.offset_at(Timestamp(guess))) * 60_000);
        if start.date_in(self) == day { start } else { Timestamp(guess) }
    }

    /// The instant the next hour begins on this zone's clocks, after `at`.
    pub fn next_hour(&self, at: Timestamp) -> Timestamp {
        Timestamp(at.0 - self.wall_clock(at).rem_euclid(HOUR_MS) + HOUR_MS)
    }
}

impl Default for Zone {
    fn default() -> Self {
        Self::china()
    }
}

#[cfg(feature = "server")]
impl Zone {
    /// The zone named `name` in the time zone database (`Asia/Shanghai`,
    /// `America/New_York`), with its offsets from 1970 to 2100; `None` for
    /// a name the database does not know.
    pub fn named(name: &str) -> Option<Self> {
        let zone = jiff::tz::TimeZone::get(name).ok()?;
        let start = jiff::Timestamp::from_second(0).ok()?;
        let end = jiff::Timestamp::from_second(4_102_444_800).ok()?; // 2100-01-01
        let minutes = |offset: jiff::tz::Offset| offset.seconds() / 60;
        let mut shifts = vec![Shift { from: i64::MIN, offset_minutes: minutes(zone.to_offset(start)) }];
        for transition in zone.following(start).take_while(|t| t.timestamp() < end) {
            let offset_minutes = minutes(transition.offset());
            // Databases also list changes of name or of daylight-saving flag
            // that leave the clocks where they were.
            if shifts.last().is_some_and(|last| last.offset_minutes != offset_minutes) {
                shifts.push(Shift { from: transition.timestamp().as_millisecond(), offset_minutes });
            }
        }
        Self::new(name, shifts)
    }
}

/// The company's zone for this process; `None` until set: China time.
static COMPANY_ZONE: std::sync::RwLock<Option<Zone>> = std::sync::RwLock::new(None);

/// Makes `zone` the company's: what "today" is from now on in this process.
/// The server sets it at start from its configuration, a device whenever a
/// pull brings it. One company has one zone, and every date derived from an
/// instant (last contact, a complaint's deadline, Today) must come out the
/// same on the server and on the phones, so it is set once here rather than
/// passed through every rule that turns an instant into a day.
pub fn use_company_zone(zone: &Zone) {
    // A device calls this on every change of its replica: copy only news.
    if with_company_zone(|current| current == zone) {
        return;
    }
    *COMPANY_ZONE.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(zone.clone());
}

/// China time, for a process that has not been told its zone (built once:
/// days are read off instants in every derivation).
static CHINA: std::sync::LazyLock<Zone> = std::sync::LazyLock::new(Zone::china);

/// Runs `f` with the company's zone.
pub fn with_company_zone<T>(f: impl FnOnce(&Zone) -> T) -> T {
    let slot = COMPANY_ZONE.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(slot.as_ref().unwrap_or(&CHINA))
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
        assert_eq!(Timestamp(1_795_451_400_000).date_in(&Zone::china()), Date::new(2026, 11, 24).unwrap());
        assert_eq!(Timestamp(1_795_451_400_000).minute_in(&Zone::china()), "2026-11-24 00:30");
    }

    /// A zone like New York's around its 2026 change to summer time
    /// (2026-03-08 07:00 UTC).
    fn eastern() -> Zone {
        let spring = 1_772_953_200_000;
        Zone::new(
            "America/New_York",
            vec![
                Shift { from: i64::MIN, offset_minutes: -300 },
                Shift { from: spring, offset_minutes: -240 },
            ],
        )
        .unwrap()
    }

    #[test]
    fn the_same_instant_is_another_day_in_another_zone() {
        let evening_in_new_york = Timestamp(1_795_451_400_000); // 2026-11-23T16:30Z
        assert_eq!(evening_in_new_york.date_in(&eastern()), Date::new(2026, 11, 23).unwrap());
        assert_eq!(evening_in_new_york.minute_in(&eastern()), "2026-11-23 12:30");
        let kolkata = Zone::fixed("Asia/Kolkata", 330).unwrap();
        assert_eq!(evening_in_new_york.minute_in(&kolkata), "2026-11-23 22:00");
        assert_eq!(kolkata.hour_of(evening_in_new_york), 22);
    }

    #[test]
    fn clocks_follow_a_zone_across_its_change_of_offset() {
        let zone = eastern();
        let spring = Timestamp(1_772_953_200_000);
        assert_eq!(Timestamp(spring.0 - 1).minute_in(&zone), "2026-03-08 01:59");
        assert_eq!(spring.minute_in(&zone), "2026-03-08 03:00");
        assert_eq!(zone.offset_at(Timestamp(i64::MIN)), -300);
        // The hour after 01:30 begins at 03:00 that night.
        assert_eq!(zone.next_hour(Timestamp(spring.0 - 1_800_000)), spring);
        // Half-hour zones step to their own whole hours.
        let kolkata = Zone::fixed("Asia/Kolkata", 330).unwrap();
        let at = Timestamp(1_795_451_400_000 + 15 * 60_000); // 22:15 there
        assert_eq!(kolkata.next_hour(at).minute_in(&kolkata), "2026-11-23 23:00");
    }

    #[test]
    fn a_day_starts_at_its_own_midnight_in_each_zone() {
        let day = Date::new(2026, 11, 24).unwrap();
        assert_eq!(Zone::china().start_of(day).rfc3339(), "2026-11-23T16:00:00.000Z");
        assert_eq!(eastern().start_of(day).rfc3339(), "2026-11-24T04:00:00.000Z");
        let summer = Date::new(2026, 7, 1).unwrap();
        assert_eq!(eastern().start_of(summer).rfc3339(), "2026-07-01T04:00:00.000Z");
        assert_eq!(Timestamp(1_795_451_400_123).rfc3339(), "2026-11-23T16:30:00.123Z");
    }

    #[test]
    fn a_zone_out_of_order_or_beyond_clocks_is_refused_also_from_the_wire() {
        let shift = |from, offset_minutes| Shift { from, offset_minutes };
        assert!(Zone::new("x", vec![]).is_none());
        assert!(Zone::new("x", vec![shift(5, 60), shift(5, 120)]).is_none());
        assert!(Zone::fixed("x", 19 * 60).is_none());
        let json = serde_json::to_string(&eastern()).unwrap();
        assert_eq!(serde_json::from_str::<Zone>(&json).unwrap(), eastern());
        let broken = r#"{"name":"x","shifts":[{"from":9,"offset_minutes":0},{"from":1,"offset_minutes":0}]}"#;
        assert!(serde_json::from_str::<Zone>(broken).is_err());
    }

    #[cfg(feature = "server")]
    #[test]
    fn zones_come_from_the_time_zone_database() {
        let shanghai = Zone::named("Asia/Shanghai").unwrap();
        assert_eq!(shanghai.offset_at(Timestamp(1_795_451_400_000)), 480);
        assert_eq!(Timestamp(1_795_451_400_000).date_in(&shanghai), Date::new(2026, 11, 24).unwrap());
        let new_york = Zone::named("America/New_York").unwrap();
        for (instant, offset) in [(1_772_953_200_000 - 1, -300), (1_772_953_200_000, -240)] {
            assert_eq!(new_york.offset_at(Timestamp(instant)), offset);
        }
        // Two changes a year, no more.
        assert!((200..=300).contains(&new_york.shifts().len()), "{}", new_york.shifts().len());
        assert_eq!(Zone::named("Asia/Kolkata").unwrap().offset_at(Timestamp(1_795_451_400_000)), 330);
        assert!(Zone::named("Mars/Olympus_Mons").is_none());
    }
}
