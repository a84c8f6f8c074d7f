//! Money in integer minor units: no floats near anyone's bill.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// An amount in minor units (fen for CNY, cents for USD) with its currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units; never negative for an order.
    pub minor: i64,
    /// ISO 4217 code, upper case ("CNY").
    pub currency: Currency,
}

/// An ISO 4217 currency code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    /// Renminbi, the default.
    pub fn cny() -> Self {
        Self("CNY".into())
    }

    /// Three letters, any case; stored upper case.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(FieldError::new("currency", "invalid"))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_form!(Currency);

impl Money {
    /// Reads an amount as people write it ("1,280.50", "¥99", "12") in
    /// `currency`, which has two decimal places.
    pub fn parse(raw: &str, currency: Currency) -> Result<Self, FieldError> {
        let cleaned: String =
            raw.trim().trim_start_matches(['¥', '￥', '$']).chars().filter(|c| *c != ',').collect();
        let invalid = || FieldError::new("amount", "invalid");
        if cleaned.starts_with('-') {
            return Err(FieldError::new("amount", "negative"));
        }
        let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || fraction.len() > 2
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let whole: i64 = whole.parse().map_err(|_| invalid())?;
        let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
        let minor = whole.checked_mul(100).and_then(|w| w.checked_add(fraction)).ok_or_else(invalid)?;
        Ok(Self { minor, currency })
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_into_minor_units() {
        assert_eq!(Money::parse("1,280.50", Currency::cny()).unwrap().minor, 128_050);
        assert_eq!(Money::parse("¥99", Currency::cny()).unwrap().minor, 9_900);
        assert_eq!(Money::parse("0.5", Currency::cny()).unwrap().minor, 50);
    }

    #[test]
    fn negative_and_malformed_amounts_are_refused() {
        assert_eq!(Money::parse("-1", Currency::cny()).unwrap_err().code, "amount.negative");
        for raw in ["", "1.234", "abc", "1.2.3", ".5"] {
            assert_eq!(Money::parse(raw, Currency::cny()).unwrap_err().code, "amount.invalid", "{raw}");
        }
    }

    #[test]
    fn money_is_shown_with_two_decimals() {
        assert_eq!(Money::parse("1280.5", Currency::cny()).unwrap().to_string(), "1280.50 CNY");
    }
}
