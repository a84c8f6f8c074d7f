//! Identity numbers, checked for the typing errors their check characters
//! exist to catch: a person's resident ID (居民身份证号, GB 11643) by its
//! check digit and birth date, a company's unified social credit code
//! (统一社会信用代码, GB 32100) by its check character.
//!
//! Other documents (a passport, a Hong Kong or Macau permit, a registration
//! number from before 2015) are kept as typed: only a value shaped like one
//! of the two numbers is held to its rules, so a wrong digit cannot pass as
//! "some other document".

use crate::FieldError;
use crate::archive::{Gender, PartyKind};
use crate::time::Date;

/// What a resident ID number says about its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResidentId {
    /// Date of birth (digits 7 to 14).
    pub birthday: Date,
    /// From digit 17: odd for men, even for women.
    pub gender: Gender,
}

/// Weights of the first 17 digits of a resident ID (ISO 7064, MOD 11-2).
const RESIDENT_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum.
const RESIDENT_CHECK: &[u8; 11] = b"10X98765432";

/// The characters of a credit code: digits and capitals without I, O, S, V, Z.
const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of the first 17 characters of a credit code.
const CREDIT_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// The number as it is stored: spaces and dashes people type to group the
/// digits taken out, letters in capitals.
pub fn normalise(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect()
}

/// Reads an 18-character resident ID number (after [`normalise`]).
pub fn resident_id(number: &str, today: Date) -> Result<ResidentId, FieldError> {
    let error = |reason: &str| FieldError::new("id_number", reason);
    let bytes = number.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return Err(error("format"));
    }
    let digit = |i: usize| u32::from(bytes[i] - b'0');
    let number_at = |from: usize, len: usize| (from..from + len).fold(0, |n, i| n * 10 + digit(i));
    let birthday = Date::new(number_at(6, 4) as i32, number_at(10, 2) as u8, number_at(12, 2) as u8)
        .filter(|day| *day <= today)
        .ok_or_else(|| error("birth_date"))?;
    let sum: u32 = RESIDENT_WEIGHTS.iter().enumerate().map(|(i, w)| w * digit(i)).sum();
    if bytes[17] != RESIDENT_CHECK[(sum % 11) as usize] {
        return Err(error("check_digit"));
    }
    let gender = if digit(16) % 2 == 1 { Gender::Male } else { Gender::Female };
    Ok(ResidentId { birthday, gender })
}

/// Checks an 18-character unified social credit code (after [`normalise`]).
pub fn credit_code(code: &str) -> Result<(), FieldError> {
    let error = |reason: &str| FieldError::new("id_number", reason);
    let values: Option<Vec<u32>> =
        code.bytes().map(|b| CREDIT_ALPHABET.iter().position(|&c| c == b).map(|p| p as u32)).collect();
    let Some(values) = values.filter(|v| v.len() == 18) else {
        return Err(error("format"));
    };
    let sum: u32 = CREDIT_WEIGHTS.iter().zip(&values).map(|(w, v)| w * v).sum();
    if values[17] != (31 - sum % 31) % 31 {
        return Err(error("check_character"));
    }
    Ok(())
}

/// Whether `number` is shaped like a resident ID: 17 digits, then a digit or X.
fn looks_resident(number: &str) -> bool {
    let bytes = number.as_bytes();
    bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17] == b'X')
}

/// Checks the ID number of a customer of `kind`: a person's number shaped
/// like a resident ID must be one (16 or 17 digits are a digit short or
/// long), a company's 18-character code must be a valid credit code.
pub fn check(kind: PartyKind, raw: &str, today: Date) -> Result<(), FieldError> {
    let number = normalise(raw);
    let all_digits = number.bytes().all(|b| b.is_ascii_digit());
    match kind {
        PartyKind::Person if looks_resident(&number) => resident_id(&number, today).map(|_| ()),
        PartyKind::Company if number.len() == 18 => credit_code(&number),
        _ if all_digits && (16..=17).contains(&number.len()) => {
            Err(FieldError::new("id_number", "length").with_limit(18))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 12, 3).unwrap()
    }

    /// `first17` completed with its check digit.
    fn with_check_digit(first17: &str) -> String {
        let sum: u32 = first17.bytes().zip(RESIDENT_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
        format!("{first17}{}", RESIDENT_CHECK[(sum % 11) as usize] as char)
    }

    #[test]
    fn a_resident_id_gives_its_birthday_and_gender() {
        // The example of the standard's own annex.
        let id = resident_id("11010519491231002X", today()).unwrap();
        assert_eq!(id.birthday, Date::new(1949, 12, 31).unwrap());
        assert_eq!(id.gender, Gender::Female);
        let man = resident_id(&with_check_digit("44030419900307123"), today()).unwrap();
        assert_eq!(man.gender, Gender::Male);
        assert_eq!(man.birthday, Date::new(1990, 3, 7).unwrap());
    }

    #[test]
    fn one_wrong_digit_or_two_swapped_digits_fail_the_check_digit() {
        let good = with_check_digit("44030419900307123");
        assert!(resident_id(&good, today()).is_ok());
        let typo = good.replacen("0307", "0308", 1);
        assert_eq!(resident_id(&typo, today()).unwrap_err().code, "id_number.check_digit");
        let swapped = format!("{}{}{}", &good[..14], &good[15..16], &good[14..15]) + &good[16..];
        assert_eq!(resident_id(&swapped, today()).unwrap_err().code, "id_number.check_digit");
    }

    #[test]
    fn a_birth_date_that_does_not_exist_or_is_to_come_is_explained() {
        let february_30 = with_check_digit("44030419900230123");
        assert_eq!(resident_id(&february_30, today()).unwrap_err().code, "id_number.birth_date");
        let unborn = with_check_digit("44030420300101123");
        assert_eq!(resident_id(&unborn, today()).unwrap_err().code, "id_number.birth_date");
    }

    #[test]
    fn a_credit_code_is_held_to_its_check_character() {
        // Its last character is the check character of the seventeen before.
        assert!(credit_code("91350100M000100Y43").is_ok());
        assert_eq!(credit_code("91350100M000100Y44").unwrap_err().code, "id_number.check_character");
        // I, O, S, V and Z never appear: a letter O typed for a zero is caught.
        assert_eq!(credit_code("91350100MO00100Y43").unwrap_err().code, "id_number.format");
    }

    #[test]
    fn the_kind_decides_which_rules_apply_and_other_documents_pass() {
        let person = PartyKind::Person;
        let company = PartyKind::Company;
        assert!(check(person, &with_check_digit("44030419900307123"), today()).is_ok());
        assert_eq!(check(person, "4403041990030712", today()).unwrap_err().code, "id_number.length");
        assert!(check(person, "E12345678", today()).is_ok(), "a passport");
        assert!(check(person, "H0123456701", today()).is_ok(), "a Hong Kong and Macau permit");
        assert!(check(company, "91350100M000100Y43", today()).is_ok());
        assert_eq!(
            check(company, "91350100M000100Y44", today()).unwrap_err().code,
            "id_number.check_character"
        );
        assert!(check(company, "110108000000016", today()).is_ok(), "a registration number from before 2015");
        assert_eq!(normalise(" 9135-0100 m000100y43 "), "91350100M000100Y43");
    }
}
