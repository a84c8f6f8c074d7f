//! Customers: the people and companies a rep keeps an archive for.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// The longest customer name accepted, in characters (not bytes: a Chinese
/// character counts once). Long legal company names fit with room to spare.
pub const MAX_NAME_CHARS: usize = 120;

/// A customer's display name, trimmed and with whitespace normalised.
///
/// Runs of whitespace collapse to one space; a space between two CJK
/// characters is dropped, because Chinese names are written without spaces
/// ("张 三" is the same person as "张三").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CustomerName(String);

impl CustomerName {
    /// Normalises `raw` and checks it is neither empty nor too long.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let normalised = normalise_name(raw);
        if normalised.is_empty() {
            return Err(FieldError::new("name", "required"));
        }
        if normalised.chars().count() > MAX_NAME_CHARS {
            return Err(FieldError::new("name", "too_long").with_limit(MAX_NAME_CHARS as u32));
        }
        Ok(Self(normalised))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_form!(CustomerName);

impl std::fmt::Display for CustomerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn normalise_name(raw: &str) -> String {
    let words: Vec<&str> = raw.split_whitespace().collect();
    let mut out = String::with_capacity(raw.len());
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            let prev = words[i - 1].chars().next_back();
            let next = word.chars().next();
            let both_cjk = matches!((prev, next), (Some(a), Some(b)) if is_cjk(a) && is_cjk(b));
            if !both_cjk {
                out.push(' ');
            }
        }
        out.push_str(word);
    }
    out
}

/// CJK ideographs and the middle dot used in transliterated names (·).
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{00B7}'
        | '\u{30FB}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_inner_whitespace_collapsed() {
        let name = CustomerName::parse("  Acme \t Trading   Co.  ").unwrap();
        assert_eq!(name.as_str(), "Acme Trading Co.");
    }

    #[test]
    fn a_chinese_name_keeps_no_inner_spaces() {
        assert_eq!(CustomerName::parse(" 张 三 ").unwrap().as_str(), "张三");
        assert_eq!(CustomerName::parse("王　小明").unwrap().as_str(), "王小明");
    }

    #[test]
    fn a_space_between_chinese_and_latin_text_is_kept() {
        assert_eq!(CustomerName::parse("华为 Huawei").unwrap().as_str(), "华为 Huawei");
    }

    #[test]
    fn an_empty_or_blank_name_is_required() {
        for raw in ["", "   ", "\n\t"] {
            let err = CustomerName::parse(raw).unwrap_err();
            assert_eq!(err.code, "name.required");
            assert_eq!(err.field, "name");
        }
    }

    #[test]
    fn a_name_longer_than_the_limit_is_refused_with_the_limit() {
        let err = CustomerName::parse(&"名".repeat(MAX_NAME_CHARS + 1)).unwrap_err();
        assert_eq!(err.code, "name.too_long");
        assert_eq!(err.limit, Some(MAX_NAME_CHARS as u32));
        assert!(CustomerName::parse(&"名".repeat(MAX_NAME_CHARS)).is_ok());
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        for raw in ["  张 三 ", "Acme   Co", "李 · 四", "a\u{3000}b"] {
            let once = CustomerName::parse(raw).unwrap();
            let twice = CustomerName::parse(once.as_str()).unwrap();
            assert_eq!(once, twice);
        }
    }

    #[test]
    fn a_name_deserialises_only_when_valid() {
        let ok: CustomerName = serde_json::from_str("\" 张 三 \"").unwrap();
        assert_eq!(ok.as_str(), "张三");
        assert!(serde_json::from_str::<CustomerName>("\"  \"").is_err());
    }
}
