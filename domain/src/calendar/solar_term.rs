//! The solar terms (节气): the days the Sun reaches each 15° of its path.
//! Only 清明 (15°) names a holiday, but any term is found the same way.

use crate::time::Date;

/// Julian day of 1970-01-01T00:00Z.
const UNIX_EPOCH_JD: f64 = 2_440_587.5;
/// Degrees the Sun moves along its path in a mean day.
const MEAN_DAILY_MOTION: f64 = 0.985_647_36;
/// Terrestrial minus universal time around this century, in days (about
/// 70 s; its drift over 1900 to 2100 is far below the formula's error).
const DELTA_T_DAYS: f64 = 70.0 / 86_400.0;

/// The Sun's apparent longitude in degrees at Julian (ephemeris) day `jd`,
/// by the low-precision solar theory (Meeus, *Astronomical Algorithms*,
/// ch. 25): good to about 0.01°, some fifteen minutes of the Sun's motion.
fn sun_longitude(jd: f64) -> f64 {
    let t = (jd - 2_451_545.0) / 36_525.0;
    let mean_longitude = 280.466_46 + 36_000.769_83 * t + 0.000_303_2 * t * t;
    let anomaly = (357.529_11 + 35_999.050_29 * t - 0.000_153_7 * t * t).to_radians();
    let centre = (1.914_602 - 0.004_817 * t - 0.000_014 * t * t) * anomaly.sin()
        + (0.019_993 - 0.000_101 * t) * (2.0 * anomaly).sin()
        + 0.000_289 * (3.0 * anomaly).sin();
    let node = (125.04 - 1_934.136 * t).to_radians();
    (mean_longitude + centre - 0.005_69 - 0.004_78 * node.sin()).rem_euclid(360.0)
}

/// The day (China Standard Time) the Sun reaches `longitude` degrees,
/// looking around `near` (within a few weeks of it).
pub fn day_of_longitude(longitude: f64, near: Date) -> Date {
    let mut jd = near.days_since_epoch() as f64 + UNIX_EPOCH_JD;
    for _ in 0..6 {
        let behind = (longitude - sun_longitude(jd) + 180.0).rem_euclid(360.0) - 180.0;
        jd += behind / MEAN_DAILY_MOTION;
    }
    let cst_days = jd - DELTA_T_DAYS + 8.0 / 24.0 - UNIX_EPOCH_JD;
    Date::from_days_since_epoch(cst_days.floor() as i64)
}

/// 清明 of `year`: the Sun at 15°, on 4, 5 or 6 April.
pub fn qingming(year: i32) -> Option<Date> {
    Some(day_of_longitude(15.0, Date::new(year, 4, 5)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qingming_falls_on_the_days_the_almanac_gives() {
        for (year, day) in
            [(2008, 4), (2010, 5), (2019, 5), (2020, 4), (2024, 4), (2025, 4), (2026, 5), (2027, 5)]
        {
            assert_eq!(qingming(year), Date::new(year, 4, day), "{year}");
        }
    }

    /// 1900 to 2100 against tyme4rs, which computes the terms by a fuller
    /// theory; the closest call in these years is under four minutes from
    /// midnight, and the two still agree.
    #[test]
    fn qingming_agrees_with_an_independent_almanac_for_two_centuries() {
        for year in 1900..=2100 {
            let theirs = tyme4rs::tyme::solar::SolarTerm::from_name(year as isize, "清明").get_solar_day();
            let ours = qingming(year as i32).unwrap();
            assert_eq!(
                (ours.year() as isize, ours.month() as usize, ours.day() as usize),
                (theirs.get_year(), theirs.get_month(), theirs.get_day()),
                "{year}"
            );
        }
    }

    #[test]
    fn the_winter_solstice_is_found_by_the_same_rule() {
        assert_eq!(
            day_of_longitude(270.0, Date::new(2026, 12, 20).unwrap()),
            Date::new(2026, 12, 22).unwrap()
        );
    }
}
