//! Lunar dates as people write them: 二月十一 in Chinese, 2/11 in English.

use domain::calendar::LunarDate;
use domain::time::Date;

use super::{Locale, texts};

const MONTHS: [&str; 12] =
    ["正月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "冬月", "腊月"];
const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// The day of a lunar month: 初一 … 初十, 十一 … 二十, 廿一 … 三十.
fn lunar_day(day: u8) -> String {
    let unit = DIGITS[usize::from(day % 10)];
    match day {
        1..=9 => format!("初{unit}"),
        10 => "初十".to_owned(),
        11..=19 => format!("十{unit}"),
        20 => "二十".to_owned(),
        21..=29 => format!("廿{unit}"),
        _ => "三十".to_owned(),
    }
}

/// A lunar month and day: 闰二月十一 / leap 2/11.
pub fn lunar_month_day(locale: Locale, lunar: LunarDate) -> String {
    match locale {
        Locale::ZhCn => format!(
            "{}{}{}",
            if lunar.leap { "闰" } else { "" },
            MONTHS[usize::from(lunar.month.clamp(1, 12) - 1)],
            lunar_day(lunar.day)
        ),
        Locale::En => format!("{}{}/{}", if lunar.leap { "leap " } else { "" }, lunar.month, lunar.day),
    }
}

/// A day with its lunar date when that is how it is kept:
/// `1990-03-07（农历二月十一）`, or just the day.
pub fn birthday_text(locale: Locale, day: Date, lunar: bool) -> String {
    match lunar.then(|| LunarDate::from_solar(day)).flatten() {
        Some(lunar_date) => {
            format!("{day} ({} {})", texts(locale).lunar_mark, lunar_month_day(locale, lunar_date))
        }
        None => day.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lunar_days_are_written_as_the_almanac_writes_them() {
        let written: Vec<String> = [1, 10, 11, 20, 21, 30].into_iter().map(lunar_day).collect();
        assert_eq!(written, ["初一", "初十", "十一", "二十", "廿一", "三十"]);
        let lunar = LunarDate { year: 2023, month: 2, leap: true, day: 11 };
        assert_eq!(lunar_month_day(Locale::ZhCn, lunar), "闰二月十一");
        assert_eq!(lunar_month_day(Locale::En, lunar), "leap 2/11");
    }

    #[test]
    fn a_lunar_birthday_shows_its_lunar_date_beside_the_day() {
        let born = Date::new(1990, 3, 7).unwrap();
        assert_eq!(birthday_text(Locale::ZhCn, born, true), "1990-03-07 (农历 二月十一)");
        assert_eq!(birthday_text(Locale::En, born, false), "1990-03-07");
    }
}
