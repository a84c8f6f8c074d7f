//! The holidays and festivals a rep greets customers on: the national
//! public holidays (元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆) and the
//! traditional days people send wishes on (除夕, 元宵, 七夕, 重阳).

use serde::{Deserialize, Serialize};

use super::lunar::LunarDate;
use super::solar_term;
use crate::time::Date;

/// A festival or public holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Festival {
    /// 元旦, 1 January.
    NewYearsDay,
    /// 除夕, the last day of the lunar year.
    NewYearsEve,
    /// 春节, the first day of the lunar year.
    SpringFestival,
    /// 元宵, the 15th of the first lunar month.
    Lantern,
    /// 清明, a solar term in early April.
    Qingming,
    /// 劳动节, 1 May.
    LabourDay,
    /// 端午, the 5th of the fifth lunar month.
    DragonBoat,
    /// 七夕, the 7th of the seventh lunar month.
    Qixi,
    /// 中秋, the 15th of the eighth lunar month.
    MidAutumn,
    /// 国庆, 1 October.
    NationalDay,
    /// 重阳, the 9th of the ninth lunar month.
    DoubleNinth,
}

impl Festival {
    /// Every festival, in no particular order of the year.
    pub const ALL: [Festival; 11] = [
        Self::NewYearsDay,
        Self::NewYearsEve,
        Self::SpringFestival,
        Self::Lantern,
        Self::Qingming,
        Self::LabourDay,
        Self::DragonBoat,
        Self::Qixi,
        Self::MidAutumn,
        Self::NationalDay,
        Self::DoubleNinth,
    ];

    /// The stable snake_case name, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewYearsDay => "new_years_day",
            Self::NewYearsEve => "new_years_eve",
            Self::SpringFestival => "spring_festival",
            Self::Lantern => "lantern",
            Self::Qingming => "qingming",
            Self::LabourDay => "labour_day",
            Self::DragonBoat => "dragon_boat",
            Self::Qixi => "qixi",
            Self::MidAutumn => "mid_autumn",
            Self::NationalDay => "national_day",
            Self::DoubleNinth => "double_ninth",
        }
    }

    /// The name people in China give it, as a greeting to a customer says it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::NewYearsDay => "元旦",
            Self::NewYearsEve => "除夕",
            Self::SpringFestival => "春节",
            Self::Lantern => "元宵节",
            Self::Qingming => "清明节",
            Self::LabourDay => "劳动节",
            Self::DragonBoat => "端午节",
            Self::Qixi => "七夕",
            Self::MidAutumn => "中秋节",
            Self::NationalDay => "国庆节",
            Self::DoubleNinth => "重阳节",
        }
    }

    /// Whether the day is a national public holiday (a day off).
    pub fn is_public_holiday(self) -> bool {
        !matches!(self, Self::Lantern | Self::Qixi | Self::DoubleNinth)
    }

    /// The day it falls on in Gregorian `year` (lunar festivals from 1901
    /// to 2100, the others any year dates may have).
    pub fn day_in(self, year: i32) -> Option<Date> {
        let lunar = |month, day| LunarDate { year, month, leap: false, day }.to_solar();
        match self {
            Self::NewYearsDay => Date::new(year, 1, 1),
            Self::LabourDay => Date::new(year, 5, 1),
            Self::NationalDay => Date::new(year, 10, 1),
            Self::Qingming => solar_term::qingming(year),
            // The eve of this Gregorian year's 春节, in January or February.
            Self::NewYearsEve => {
                lunar(1, 1).map(|new_year| Date::from_days_since_epoch(new_year.days_since_epoch() - 1))
            }
            Self::SpringFestival => lunar(1, 1),
            Self::Lantern => lunar(1, 15),
            Self::DragonBoat => lunar(5, 5),
            Self::Qixi => lunar(7, 7),
            Self::MidAutumn => lunar(8, 15),
            Self::DoubleNinth => lunar(9, 9),
        }
    }
}

/// The festivals from `from` to `to` (both included), in date order.
pub fn festivals_between(from: Date, to: Date) -> Vec<(Festival, Date)> {
    let mut found: Vec<(Festival, Date)> = (from.year()..=to.year())
        .flat_map(|year| Festival::ALL.into_iter().filter_map(move |f| f.day_in(year).map(|on| (f, on))))
        .filter(|&(_, on)| from <= on && on <= to)
        .collect();
    found.sort_by_key(|&(festival, on)| (on, festival));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        Date::parse_field(s, "date").unwrap()
    }

    #[test]
    fn the_festivals_of_2026_fall_on_their_days() {
        let days: Vec<(Festival, String)> = festivals_between(day("2026-01-01"), day("2026-12-31"))
            .into_iter()
            .map(|(f, on)| (f, on.to_string()))
            .collect();
        let expected = [
            (Festival::NewYearsDay, "2026-01-01"),
            (Festival::NewYearsEve, "2026-02-16"),
            (Festival::SpringFestival, "2026-02-17"),
            (Festival::Lantern, "2026-03-03"),
            (Festival::Qingming, "2026-04-05"),
            (Festival::LabourDay, "2026-05-01"),
            (Festival::DragonBoat, "2026-06-19"),
            (Festival::Qixi, "2026-08-19"),
            (Festival::MidAutumn, "2026-09-25"),
            (Festival::NationalDay, "2026-10-01"),
            (Festival::DoubleNinth, "2026-10-18"),
        ];
        let expected: Vec<(Festival, String)> = expected.iter().map(|&(f, s)| (f, s.to_owned())).collect();
        assert_eq!(days, expected);
    }

    #[test]
    fn lunar_festivals_move_from_year_to_year_and_are_found_in_each() {
        for (year, on) in [(2024, "2024-09-17"), (2025, "2025-10-06"), (2027, "2027-09-15")] {
            assert_eq!(Festival::MidAutumn.day_in(year), Some(day(on)), "{year}");
        }
        for year in 1950..=2100 {
            for festival in Festival::ALL {
                let on = festival.day_in(year).unwrap_or_else(|| panic!("{festival:?} {year}"));
                assert_eq!(on.year(), year, "{festival:?}");
            }
        }
    }

    #[test]
    fn a_window_across_new_year_finds_both_years() {
        let found = festivals_between(day("2026-12-30"), day("2027-02-10"));
        let names: Vec<Festival> = found.iter().map(|&(f, _)| f).collect();
        assert_eq!(names, [Festival::NewYearsDay, Festival::NewYearsEve, Festival::SpringFestival]);
        assert_eq!(found[2].1, day("2027-02-06"));
    }
}
