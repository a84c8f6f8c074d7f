//! Phone numbers, China first.
//!
//! The browser cannot afford full international phone metadata (about
//! 530 KB gzip), so this module holds compact rules that are exact for
//! Chinese numbers, mobile, landline and 400/800 service lines, and checks
//! only the general E.164 shape of numbers from elsewhere. The server checks
//! every number again with the `phonenumber` crate (feature `server`); for
//! Chinese numbers both must agree exactly, which a test proves.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// China's country calling code.
const CN: &str = "86";

/// A phone number in E.164 form (`+8613800138000`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// What kind of line a Chinese number is, which decides how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    /// An 11-digit mobile number.
    Mobile,
    /// A fixed line: area code and local number.
    Landline,
    /// A nationwide 400 / 800 service number.
    Service,
    /// A number outside China; only its E.164 shape is checked here.
    International,
}

impl Phone {
    /// Reads a number as people type it: spaces, dashes, dots, brackets and
    /// full-width digits are fine; no country code means China.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field(raw, "phone")
    }

    /// As [`Phone::parse`], reporting errors against `field`.
    pub fn parse_field(raw: &str, field: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "invalid");
        let mut digits = String::with_capacity(raw.len());
        let mut plus = false;
        for (i, c) in raw.trim().chars().enumerate() {
            let c = fold_full_width(c);
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => plus = true,
                ' ' | '-' | '.' | '(' | ')' | '\u{3000}' => {}
                _ => return Err(invalid()),
            }
        }
        if digits.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        // "00" is the international prefix dialled from China.
        let international = if plus { Some(digits.as_str()) } else { digits.strip_prefix("00") };
        let e164 = match international {
            Some(rest) => match rest.strip_prefix(CN) {
                Some(national) => chinese(national, false).ok_or_else(invalid)?,
                None => other_country(rest).ok_or_else(invalid)?,
            },
            None => chinese(&digits, true)
                // "8613800138000" typed without the plus.
                .or_else(|| digits.strip_prefix(CN).and_then(|n| chinese(n, false)))
                .ok_or_else(invalid)?,
        };
        Ok(Self(e164))
    }

    /// The E.164 form, as stored.
    pub fn e164(&self) -> &str {
        &self.0
    }

    /// What kind of line this is.
    pub fn kind(&self) -> PhoneKind {
        match self.0.strip_prefix("+86") {
            Some(n) if is_mobile(n) => PhoneKind::Mobile,
            Some(n) if is_service(n) => PhoneKind::Service,
            Some(_) => PhoneKind::Landline,
            None => PhoneKind::International,
        }
    }

    /// The number as written at home: `138 0013 8000`, `010 6552 9988`,
    /// `0755 8888 8888`, `400 810 8888`; numbers from elsewhere stay E.164.
    pub fn national(&self) -> String {
        let Some(n) = self.0.strip_prefix("+86") else { return self.0.clone() };
        match self.kind() {
            PhoneKind::Mobile => format!("{} {} {}", &n[..3], &n[3..7], &n[7..]),
            PhoneKind::Service => format!("{} {} {}", &n[..3], &n[3..6], &n[6..]),
            PhoneKind::Landline => {
                let area = area_code_len(n).unwrap_or(2);
                let (code, local) = n.split_at(area);
                let split = if local.len() == 8 { 4 } else { 3 };
                format!("0{code} {} {}", &local[..split], &local[split..])
            }
            PhoneKind::International => self.0.clone(),
        }
    }

    /// The digits a search for this number matches: national digits for
    /// Chinese numbers (with the trunk 0 for landlines), E.164 digits otherwise.
    pub fn search_digits(&self) -> String {
        self.national().chars().filter(char::is_ascii_digit).collect()
    }

    /// Whether [`Self::search_digits`] holds `digits`, without building it:
    /// this runs for every number of every cached archive as a rep types.
    pub fn digits_contain(&self, digits: &str) -> bool {
        match self.0.strip_prefix("+86") {
            // A landline reads with its trunk 0 in front; others as stored.
            Some(n) if self.kind() == PhoneKind::Landline => {
                n.contains(digits) || digits.strip_prefix('0').is_some_and(|rest| n.starts_with(rest))
            }
            Some(n) if self.kind() != PhoneKind::International => n.contains(digits),
            _ => self.search_digits().contains(digits),
        }
    }
}

string_form!(Phone);

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.national())
    }
}

fn fold_full_width(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '＋' => '+',
        '－' | '—' => '-',
        '（' => '(',
        '）' => ')',
        _ => c,
    }
}

/// A Chinese national number to E.164. `trunk` says whether a landline is
/// written with its leading 0 (dialled at home) or without (after +86).
fn chinese(national: &str, trunk: bool) -> Option<String> {
    if is_mobile(national) || is_service(national) {
        return Some(format!("+86{national}"));
    }
    let without_trunk = if trunk { national.strip_prefix('0')? } else { national };
    let area = area_code_len(without_trunk)?;
    let local = without_trunk.get(area..)?;
    // Local numbers are 7 or 8 digits and never start with 0 or 1.
    let valid_local = matches!(local.len(), 7 | 8) && !local.starts_with(['0', '1']);
    valid_local.then(|| format!("+86{without_trunk}"))
}

fn is_mobile(n: &str) -> bool {
    n.len() == 11 && n.starts_with('1') && matches!(n.as_bytes()[1], b'3'..=b'9')
}

fn is_service(n: &str) -> bool {
    n.len() == 10 && (n.starts_with("400") || n.starts_with("800"))
}

/// Length of the area code (without its trunk 0): 10 and 20-29 are the
/// two-digit codes of Beijing and the big cities; the rest have three.
fn area_code_len(n: &str) -> Option<usize> {
    let b = n.as_bytes();
    match (b.first()?, b.get(1)?) {
        (b'1', b'0') | (b'2', _) => Some(2),
        (b'3'..=b'9', _) => Some(3),
        _ => None,
    }
}

/// The general E.164 shape: a country code that does not start with 0, and
/// 8 to 15 digits in all. The server checks the real numbering plan.
fn other_country(digits: &str) -> Option<String> {
    let ok = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str) -> String {
        Phone::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}")).e164().to_owned()
    }

    #[test]
    fn a_mobile_number_is_stored_in_e164_however_it_was_typed() {
        for raw in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "0086 13800138000",
            "8613800138000",
            "１３８００１３８０００",
        ] {
            assert_eq!(e164(raw), "+8613800138000", "{raw}");
        }
    }

    #[test]
    fn searching_digits_in_place_finds_what_the_spelled_out_digits_hold() {
        let numbers = ["13800138000", "010-65529988", "0571-8765432", "400-810-8888", "+44 20 7946 0958"];
        let queries =
            ["138", "0013", "010", "0106", "1065", "6552", "0571", "4008", "4420", "999", "00138000"];
        for raw in numbers {
            let phone = Phone::parse(raw).unwrap();
            for query in queries {
                let spelled = phone.search_digits().contains(query);
                assert_eq!(phone.digits_contain(query), spelled, "{raw} / {query}");
            }
        }
    }

    #[test]
    fn a_landline_keeps_its_area_code() {
        assert_eq!(e164("010-65529988"), "+861065529988");
        assert_eq!(e164("(0755) 8888 8888"), "+8675588888888");
        assert_eq!(e164("+86 21 6234 5678"), "+862162345678");
        assert_eq!(e164("0571-8765432"), "+865718765432");
    }

    #[test]
    fn numbers_are_shown_in_national_format() {
        assert_eq!(Phone::parse("13800138000").unwrap().national(), "138 0013 8000");
        assert_eq!(Phone::parse("010-65529988").unwrap().national(), "010 6552 9988");
        assert_eq!(Phone::parse("0755-88888888").unwrap().national(), "0755 8888 8888");
        assert_eq!(Phone::parse("0571-8765432").unwrap().national(), "0571 876 5432");
        assert_eq!(Phone::parse("400-810-8888").unwrap().national(), "400 810 8888");
        assert_eq!(Phone::parse("+44 20 7946 0958").unwrap().national(), "+442079460958");
    }

    #[test]
    fn malformed_numbers_are_refused_with_a_code() {
        for raw in [
            "12345",
            "1380013800",
            "138001380001",
            "12800138000",
            "abc",
            "010-0123456",
            "+0123456789",
            "138x0013",
        ] {
            let err = Phone::parse(raw).unwrap_err();
            assert_eq!(err.code, "phone.invalid", "{raw}");
        }
        assert_eq!(Phone::parse("  ").unwrap_err().code, "phone.required");
    }

    #[test]
    fn other_countries_are_checked_for_shape_only() {
        assert_eq!(e164("+1 (415) 555-2671"), "+14155552671");
        assert_eq!(Phone::parse("+1 415").unwrap_err().code, "phone.invalid");
    }

    #[test]
    fn parsing_the_stored_form_again_changes_nothing() {
        for raw in ["13800138000", "010-65529988", "0571-8765432", "400-810-8888", "+14155552671"] {
            let once = Phone::parse(raw).unwrap();
            assert_eq!(Phone::parse(once.e164()).unwrap(), once);
            assert_eq!(Phone::parse(&once.national()).unwrap(), once, "{raw}");
        }
    }

    #[test]
    fn a_search_matches_the_digits_people_type() {
        assert_eq!(Phone::parse("13800138000").unwrap().search_digits(), "13800138000");
        assert_eq!(Phone::parse("010-65529988").unwrap().search_digits(), "01065529988");
    }
}

/// The server's second opinion, with full international metadata.
#[cfg(feature = "server")]
mod full_metadata {
    use super::Phone;
    use crate::FieldError;

    impl Phone {
        /// Checks the number against the real numbering plan of its country
        /// (an area code that does not exist, a number too short for its
        /// country). Errors use the code `<field>.invalid`.
        pub fn verify_with_metadata(&self, field: &str) -> Result<(), FieldError> {
            let parsed =
                phonenumber::parse(None, self.e164()).map_err(|_| FieldError::new(field, "invalid"))?;
            if phonenumber::is_valid(&parsed) { Ok(()) } else { Err(FieldError::new(field, "invalid")) }
        }
    }

    /// How the metadata library writes a number typed in China: E.164 and
    /// national form, or none when it finds the number invalid.
    pub fn reference_format(raw: &str) -> Option<(String, String)> {
        let parsed = phonenumber::parse(Some(phonenumber::country::Id::CN), raw).ok()?;
        if !phonenumber::is_valid(&parsed) {
            return None;
        }
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        let national = parsed.format().mode(phonenumber::Mode::National).to_string();
        Some((e164, national))
    }
}

#[cfg(feature = "server")]
pub use full_metadata::reference_format;

#[cfg(all(test, feature = "server"))]
mod agreement {
    use super::*;

    /// Chinese numbers as people type them: both sides must store and show
    /// each exactly alike.
    const TABLE: &[&str] = &[
        "13800138000",
        "+86 139 1234 5678",
        "0086 15012345678",
        "8618612345678",
        "199 8888 0000",
        "166-0000-1234",
        "010-65529988",
        "(010) 8888 6666",
        "021-62345678",
        "+86 20 8765 4321",
        "0755-88888888",
        "0571-87654321",
        "0898-66778899",
        "0512 6788 9900",
        "400-810-8888",
        "800 820 8820",
    ];

    #[test]
    fn the_compact_rules_and_the_full_metadata_agree_on_chinese_numbers() {
        for raw in TABLE {
            let ours = Phone::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            let (e164, national) =
                reference_format(raw).unwrap_or_else(|| panic!("{raw}: invalid to the metadata"));
            assert_eq!(ours.e164(), e164, "{raw}");
            assert_eq!(ours.national(), national, "{raw}");
            assert!(ours.verify_with_metadata("phone").is_ok(), "{raw}");
        }
    }

    #[test]
    fn a_number_that_only_has_the_right_shape_is_caught_by_the_metadata() {
        // A plausible-looking UK number with a range that is not allocated.
        let phone = Phone::parse("+44 0000 000000").or_else(|_| Phone::parse("+44 99 0000 0000")).unwrap();
        assert_eq!(phone.verify_with_metadata("phone").unwrap_err().code, "phone.invalid");
    }
}
