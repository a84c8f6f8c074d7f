//! Email addresses: checked for shape and stored lower-cased.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// The longest address accepted (RFC 5321's limit on a path).
pub const MAX_EMAIL_LEN: usize = 254;

/// A lower-cased email address with one `@`, a non-empty local part and a
/// domain of dot-separated labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Trims, lower-cases and checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field(raw, "email")
    }

    /// As [`Email::parse`], reporting errors against `field`.
    pub fn parse_field(raw: &str, field: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        if email.len() > MAX_EMAIL_LEN {
            return Err(FieldError::new(field, "too_long").with_limit(MAX_EMAIL_LEN as u32));
        }
        let valid = email.split_once('@').is_some_and(|(local, domain)| {
            let local_ok = !local.is_empty()
                && local.len() <= 64
                && !local.starts_with('.')
                && !local.ends_with('.')
                && !local.contains("..")
                && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
            let labels: Vec<&str> = domain.split('.').collect();
            let domain_ok = labels.len() >= 2
                && labels.iter().all(|l| {
                    !l.is_empty()
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.chars().all(|c| c.is_alphanumeric() || c == '-')
                });
            local_ok && domain_ok
        });
        if valid { Ok(Self(email)) } else { Err(FieldError::new(field, "invalid")) }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_form!(Email);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Li.Si@Example.COM ").unwrap().as_str(), "li.si@example.com");
    }

    #[test]
    fn an_internationalised_domain_is_accepted() {
        assert!(Email::parse("zhang@例子.中国").is_ok());
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for raw in [
            "li",
            "li@",
            "@example.com",
            "li@example",
            "li@@example.com",
            "li@exa mple.com",
            "li..si@example.com",
            "li@-example.com",
        ] {
            assert_eq!(Email::parse(raw).unwrap_err().code, "email.invalid", "{raw}");
        }
        assert_eq!(Email::parse(" ").unwrap_err().code, "email.required");
    }
}
