//! Custom fields (自定义字段): the extra facts a company keeps about its
//! customers, defined by an admin (a car dealer's plate number, a clinic's
//! blood type). Their values live in the archive beside the built-in fields
//! and merge per field like them; the definitions travel to every device
//! with the pull, so values are checked offline and again on the server.
//!
//! A definition can be relabelled, gain choices, retire choices, become
//! required or optional, and be retired itself; its kind never changes.
//! None of that touches a stored value: a value that no longer fits is
//! still kept and shown, only new writes must fit.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::time::Date;

/// Most fields a company may define (retired ones count: their values stay).
pub const MAX_FIELDS: usize = 60;
/// Most choices one field offers.
pub const MAX_CHOICES: usize = 100;
/// Longest text value, label or choice, in characters.
pub const MAX_TEXT: usize = 500;
/// Longest key, in characters.
pub const MAX_KEY: usize = 40;
/// Most significant digits of a number.
pub const MAX_DIGITS: usize = 15;

/// What kind of value a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomKind {
    /// Free text, one line.
    Text,
    /// A decimal number.
    Number,
    /// A calendar day.
    Date,
    /// One of the listed choices.
    Choice,
    /// Any number of the listed choices.
    MultiChoice,
}

impl CustomKind {
    /// Every kind, in the order forms offer them.
    pub const ALL: [CustomKind; 5] =
        [CustomKind::Text, CustomKind::Number, CustomKind::Date, CustomKind::Choice, CustomKind::MultiChoice];

    /// Whether values are picked from a list of choices.
    pub fn has_choices(self) -> bool {
        matches!(self, CustomKind::Choice | CustomKind::MultiChoice)
    }
}

/// One choice of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Choice {
    /// The stable key values store (`a`, `b2`); never changes.
    pub key: String,
    /// Its label in Chinese.
    pub zh: String,
    /// Its label in English (the Chinese one when empty).
    #[serde(default)]
    pub en: String,
    /// No longer offered; values that hold it keep it.
    #[serde(default)]
    pub retired: bool,
}

impl Choice {
    /// Its label in Chinese or English.
    pub fn label(&self, english: bool) -> &str {
        if english && !self.en.trim().is_empty() { &self.en } else { &self.zh }
    }
}

/// The definition of one custom field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CustomField {
    /// The stable key values are stored under (`plate_number`); never changes.
    pub key: String,
    /// Its label in Chinese.
    pub zh: String,
    /// Its label in English (the Chinese one when empty).
    #[serde(default)]
    pub en: String,
    /// The kind of value; never changes.
    pub kind: CustomKind,
    /// A new archive must have it, and an edit may not empty it.
    #[serde(default)]
    pub required: bool,
    /// For choice fields, what can be picked, in the order shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// No longer shown in forms; stored values stay and are shown on the record.
    #[serde(default)]
    pub retired: bool,
}

impl CustomField {
    /// Its label in Chinese or English.
    pub fn label(&self, english: bool) -> &str {
        if english && !self.en.trim().is_empty() { &self.en } else { &self.zh }
    }

    /// The choice `key`, retired or not.
    pub fn choice(&self, key: &str) -> Option<&Choice> {
        self.choices.iter().find(|c| c.key == key)
    }

    /// The field name errors about this field carry: `custom.<key>`.
    pub fn error_field(&self) -> String {
        error_field(&self.key)
    }

    /// How `value` reads to a person: choice labels for choices (the key of
    /// a choice that is gone), the text of anything else.
    pub fn show(&self, value: &CustomValue, english: bool) -> String {
        let label = |key: &str| self.choice(key).map_or(key.to_owned(), |c| c.label(english).to_owned());
        match value {
            CustomValue::Choice(key) => label(key),
            CustomValue::Choices(keys) => keys.iter().map(|k| label(k)).collect::<Vec<_>>().join("、"),
            other => other.text(),
        }
    }

    /// Checks a definition on its own: key, labels, choices.
    pub fn check(&self) -> Result<(), FieldError> {
        if !is_key(&self.key) {
            return Err(FieldError::new("key", "format"));
        }
        label_text("label", &self.zh, true)?;
        label_text("label_en", &self.en, false)?;
        if self.kind.has_choices() {
            if self.choices.iter().all(|c| c.retired) {
                return Err(FieldError::new("choices", "required"));
            }
            if self.choices.len() > MAX_CHOICES {
                return Err(FieldError::new("choices", "too_many").with_limit(MAX_CHOICES as u32));
            }
            let mut keys = BTreeSet::new();
            for choice in &self.choices {
                if !is_key(&choice.key) || !keys.insert(choice.key.as_str()) {
                    return Err(FieldError::new("choices", "format"));
                }
                label_text("choices", &choice.zh, true)?;
                label_text("choices", &choice.en, false)?;
            }
        } else if !self.choices.is_empty() {
            return Err(FieldError::new("choices", "unknown"));
        }
        Ok(())
    }

    /// Checks `value` as a new write of this field: it fits the kind and
    /// picks only choices still offered.
    pub fn check_value(&self, value: &CustomValue) -> Result<(), FieldError> {
        self.check_fit(value, false)
    }

    /// Checks `value` as one that may have been written under an older
    /// version of this definition: it fits the kind and names choices the
    /// field has, offered or retired.
    pub fn check_kept(&self, value: &CustomValue) -> Result<(), FieldError> {
        self.check_fit(value, true)
    }

    fn check_fit(&self, value: &CustomValue, retired_too: bool) -> Result<(), FieldError> {
        let field = self.error_field();
        let picked = |key: &String| self.choice(key).is_some_and(|c| retired_too || !c.retired);
        let fits = match (self.kind, value) {
            (CustomKind::Text, CustomValue::Text(_))
            | (CustomKind::Number, CustomValue::Number(_))
            | (CustomKind::Date, CustomValue::Date(_)) => true,
            (CustomKind::Choice, CustomValue::Choice(key)) => picked(key),
            (CustomKind::MultiChoice, CustomValue::Choices(keys)) => keys.iter().all(picked),
            _ => false,
        };
        if !fits {
            return Err(FieldError::new(&field, "unknown"));
        }
        value.check_shape(&self.key)
    }
}

/// Every custom field a company has defined, as one list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CustomFields {
    /// The sync version at which the list last changed, so a pull brings it
    /// to a device only when the device has not seen it.
    pub version: u64,
    /// Every definition, retired ones too, in the order forms show them.
    pub fields: Vec<CustomField>,
}

impl CustomFields {
    /// The definition of `key`, retired or not.
    pub fn get(&self, key: &str) -> Option<&CustomField> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The fields forms show: every one not retired.
    pub fn active(&self) -> impl Iterator<Item = &CustomField> {
        self.fields.iter().filter(|f| !f.retired)
    }

    /// Checks a whole list, and that `self` (the new list) keeps everything
    /// `before` had: no field or choice disappears and no kind changes, so
    /// no stored value is orphaned by an edit of the definitions.
    pub fn check_change(&self, before: &CustomFields) -> Result<(), FieldError> {
        if self.fields.len() > MAX_FIELDS {
            return Err(FieldError::new("fields", "too_many").with_limit(MAX_FIELDS as u32));
        }
        let mut keys = BTreeSet::new();
        for field in &self.fields {
            field.check()?;
            if !keys.insert(field.key.as_str()) {
                return Err(FieldError::new("key", "taken"));
            }
        }
        for old in &before.fields {
            let Some(new) = self.get(&old.key) else {
                return Err(FieldError::new("fields", "removed"));
            };
            if new.kind != old.kind {
                return Err(FieldError::new("kind", "changed"));
            }
            if old.choices.iter().any(|c| new.choice(&c.key).is_none()) {
                return Err(FieldError::new("choices", "removed"));
            }
        }
        Ok(())
    }

    /// Checks the custom values a change writes against these definitions.
    /// An edit must name a field in use, fit its kind and offered choices,
    /// and not empty a required field. A new archive is held only to what
    /// no change of the definitions can alter (kinds never change and
    /// choices are never deleted): a rep who created it offline, before a
    /// field was added, made required or retired, must not see it refused,
    /// with every later change of it refused in turn for want of it. The
    /// forms ask for required fields; an archive that lacks one shows it empty.
    /// `Ok` for changes that write no custom value.
    /// `stored` is the archive's values before the change: a retired choice
    /// it holds may stay in an edited multiple choice.
    pub fn check_writes(
        &self,
        writes: Writes<'_>,
        stored: Option<&BTreeMap<String, CustomValue>>,
    ) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |key: &str, value: Option<&CustomValue>| {
            let Some(field) = self.get(key).filter(|f| !f.retired) else {
                errors.push(FieldError::new(&error_field(key), "retired"));
                return;
            };
            let held = |choice: &str| stored.and_then(|s| s.get(key)).is_some_and(|v| v.holds(choice));
            let keeps_only_held = |value: &CustomValue| match value {
                CustomValue::Choice(c) => field.choice(c).is_some_and(|c| !c.retired) || held(c),
                CustomValue::Choices(cs) => {
                    cs.iter().all(|c| field.choice(c).is_some_and(|c| !c.retired) || held(c))
                }
                _ => true,
            };
            match value {
                Some(value) if keeps_only_held(value) => errors.extend(field.check_kept(value).err()),
                Some(value) => errors.extend(field.check_value(value).err()),
                None if field.required => errors.push(FieldError::new(&field.error_field(), "required")),
                None => {}
            }
        };
        match writes {
            Writes::New(values) => {
                for (key, value) in values {
                    if let Some(field) = self.get(key) {
                        errors.extend(field.check_kept(value).err());
                    }
                }
            }
            Writes::Edits(edits) => {
                for edit in edits {
                    check(&edit.key, edit.value.as_ref());
                }
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// The custom values one change writes.
#[derive(Debug, Clone, Copy)]
pub enum Writes<'a> {
    /// A new archive's values.
    New(&'a BTreeMap<String, CustomValue>),
    /// Edits of an archive's values.
    Edits(&'a [CustomEdit]),
}

impl<'a> Writes<'a> {
    /// The custom values `change` writes, if any.
    pub fn of(change: &'a crate::Change) -> Option<Self> {
        match change {
            crate::Change::Create { fields } => Some(Writes::New(&fields.custom)),
            crate::Change::SetCustom { edits } => Some(Writes::Edits(edits)),
            _ => None,
        }
    }
}

/// A custom field's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum CustomValue {
    /// Text.
    Text(String),
    /// A number.
    Number(Number),
    /// A day.
    Date(Date),
    /// A choice, by its key.
    Choice(String),
    /// Several choices, by their keys.
    Choices(BTreeSet<String>),
}

impl CustomValue {
    /// The value as plain text (choice keys for choices).
    pub fn text(&self) -> String {
        match self {
            CustomValue::Text(text) => text.clone(),
            CustomValue::Number(number) => number.as_str().to_owned(),
            CustomValue::Date(day) => day.to_string(),
            CustomValue::Choice(key) => key.clone(),
            CustomValue::Choices(keys) => keys.iter().cloned().collect::<Vec<_>>().join(","),
        }
    }

    /// Whether the value holds the choice `key` (for filters).
    pub fn holds(&self, key: &str) -> bool {
        match self {
            CustomValue::Choice(k) => k == key,
            CustomValue::Choices(keys) => keys.contains(key),
            _ => false,
        }
    }

    /// Checks what any value must meet, with or without its definition: a
    /// bounded size, no empty text, keys shaped like keys. The archive holds
    /// nothing unbounded even when a device's definitions are out of date.
    pub fn check_shape(&self, key: &str) -> Result<(), FieldError> {
        let field = error_field(key);
        if !is_key(key) {
            return Err(FieldError::new("custom", "format"));
        }
        match self {
            CustomValue::Text(text) => label_text(&field, text, true),
            CustomValue::Number(_) | CustomValue::Date(_) => Ok(()),
            CustomValue::Choice(choice) if is_key(choice) => Ok(()),
            CustomValue::Choices(keys) if keys.is_empty() => Err(FieldError::new(&field, "required")),
            CustomValue::Choices(keys) if keys.len() > MAX_CHOICES => {
                Err(FieldError::new(&field, "too_many").with_limit(MAX_CHOICES as u32))
            }
            CustomValue::Choices(keys) if keys.iter().all(|k| is_key(k)) => Ok(()),
            _ => Err(FieldError::new(&field, "unknown")),
        }
    }
}

/// A new value (or none, to empty it) for one custom field, with the server
/// version its author had seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomEdit {
    /// The field's key.
    pub key: String,
    /// The new value; none empties the field.
    pub value: Option<CustomValue>,
    /// The server version of the archive the author was looking at.
    pub base: u64,
}

/// A decimal number as typed, kept exactly (no binary rounding): an
/// optional minus, digits, an optional fraction. Thousands separators and
/// full-width digits are accepted and dropped; leading and trailing zeros
/// that carry nothing are trimmed, so equal numbers are equal values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Number(String);

string_form!(Number);

impl Number {
    /// Reads a number typed by a person.
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("number", "format");
        let cleaned: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, ',' | '，' | ' ' | '_'))
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '．' | '。' => '.',
                '－' => '-',
                other => other,
            })
            .collect();
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(bad());
        }
        let whole = whole.trim_start_matches('0');
        let fraction = fraction.trim_end_matches('0');
        if whole.len() + fraction.len() > MAX_DIGITS {
            return Err(FieldError::new("number", "too_large").with_limit(MAX_DIGITS as u32));
        }
        let whole = if whole.is_empty() { "0" } else { whole };
        let mut out = String::new();
        if negative && (whole != "0" || !fraction.is_empty()) {
            out.push('-');
        }
        out.push_str(whole);
        if !fraction.is_empty() {
            out.push('.');
            out.push_str(fraction);
        }
        Ok(Self(out))
    }

    /// The number as written, in its plain form (`-12.5`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number for comparisons and sums (at most 15 digits, so exact).
    pub fn as_f64(&self) -> f64 {
        self.0.parse().unwrap_or(0.0)
    }
}

/// The field name errors about custom field `key` carry.
pub fn error_field(key: &str) -> String {
    format!("custom.{key}")
}

/// A key: lower-case ASCII letters, digits and `_`, starting with a letter.
pub fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key.len() <= MAX_KEY
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A key for a new field or choice that `taken` does not hold: `prefix`
/// and the first free number.
pub fn next_key<'a>(prefix: &str, taken: impl IntoIterator<Item = &'a str>) -> String {
    let taken: BTreeSet<&str> = taken.into_iter().collect();
    (1..).map(|n| format!("{prefix}{n}")).find(|k| !taken.contains(k.as_str())).unwrap_or_default()
}

fn label_text(field: &str, text: &str, required: bool) -> Result<(), FieldError> {
    let count = text.chars().count();
    if required && text.trim().is_empty() {
        Err(FieldError::new(field, "required"))
    } else if count > MAX_TEXT {
        Err(FieldError::new(field, "too_long").with_limit(MAX_TEXT as u32))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(key: &str, zh: &str) -> Choice {
        Choice { key: key.into(), zh: zh.into(), en: String::new(), retired: false }
    }

    fn level() -> CustomField {
        CustomField {
            key: "level".into(),
            zh: "会员等级".into(),
            en: "Membership".into(),
            kind: CustomKind::Choice,
            required: true,
            choices: vec![choice("gold", "金卡"), choice("silver", "银卡")],
            retired: false,
        }
    }

    fn fields() -> CustomFields {
        let area = CustomField {
            key: "area".into(),
            zh: "面积".into(),
            en: String::new(),
            kind: CustomKind::Number,
            required: false,
            choices: Vec::new(),
            retired: false,
        };
        CustomFields { version: 3, fields: vec![level(), area] }
    }

    #[test]
    fn numbers_are_read_as_people_type_them_and_kept_exactly() {
        let read = |s: &str| Number::parse(s).map(|n| n.as_str().to_owned());
        assert_eq!(read("1,234.50").unwrap(), "1234.5");
        assert_eq!(read("００７").unwrap(), "7");
        assert_eq!(read("-0.0").unwrap(), "0");
        assert_eq!(read(".5").unwrap(), "0.5");
        assert_eq!(read("0.1").unwrap().parse::<f64>().unwrap(), 0.1);
        assert_eq!(read("12a").unwrap_err().code, "number.format");
        assert_eq!(read("").unwrap_err().code, "number.format");
        assert_eq!(read("1234567890123456").unwrap_err().code, "number.too_large");
    }

    #[test]
    fn a_value_must_fit_its_fields_kind_and_choices() {
        let level = level();
        assert!(level.check_value(&CustomValue::Choice("gold".into())).is_ok());
        let wrong_kind = level.check_value(&CustomValue::Text("gold".into())).unwrap_err();
        assert_eq!(wrong_kind.code, "custom.level.unknown");
        assert!(level.check_value(&CustomValue::Choice("bronze".into())).is_err());
    }

    #[test]
    fn a_retired_choice_is_kept_where_stored_but_cannot_be_picked_again() {
        let mut level = level();
        level.choices[1].retired = true;
        assert!(level.check_value(&CustomValue::Choice("silver".into())).is_err());
        assert_eq!(level.show(&CustomValue::Choice("silver".into()), false), "银卡");
    }

    #[test]
    fn an_edit_may_not_empty_a_required_field_but_an_archive_made_before_it_was_required_is_taken() {
        let mut defs = fields();
        assert!(defs.check_writes(Writes::New(&BTreeMap::new()), None).is_ok(), "made offline, before");
        let given = BTreeMap::from([("level".to_owned(), CustomValue::Choice("silver".into()))]);
        defs.fields[0].choices[1].retired = true;
        assert!(defs.check_writes(Writes::New(&given), None).is_ok(), "picked before the choice was retired");
        let wrong = BTreeMap::from([("level".to_owned(), CustomValue::Text("silver".into()))]);
        assert_eq!(defs.check_writes(Writes::New(&wrong), None).unwrap_err()[0].code, "custom.level.unknown");
        let empty = [CustomEdit { key: "level".into(), value: None, base: 1 }];
        assert_eq!(
            defs.check_writes(Writes::Edits(&empty), None).unwrap_err()[0].code,
            "custom.level.required"
        );
        let optional = [CustomEdit { key: "area".into(), value: None, base: 1 }];
        assert!(defs.check_writes(Writes::Edits(&optional), None).is_ok());
    }

    #[test]
    fn a_retired_choice_already_held_may_stay_in_an_edited_multiple_choice() {
        let mut field = level();
        field.kind = CustomKind::MultiChoice;
        field.choices[1].retired = true;
        let defs = CustomFields { version: 1, fields: vec![field] };
        let both = |keys: [&str; 2]| CustomValue::Choices(keys.map(str::to_owned).into());
        let stored = BTreeMap::from([("level".to_owned(), both(["gold", "silver"]))]);
        let edit = [CustomEdit { key: "level".into(), value: Some(both(["silver", "gold"])), base: 1 }];
        assert!(defs.check_writes(Writes::Edits(&edit), Some(&stored)).is_ok());
        assert!(defs.check_writes(Writes::Edits(&edit), None).is_err(), "newly picked, it is refused");
    }

    #[test]
    fn writing_a_field_nobody_defined_or_that_was_retired_is_refused() {
        let mut defs = fields();
        let edit = |key: &str| {
            [CustomEdit {
                key: key.into(),
                value: Some(CustomValue::Number(Number::parse("1").unwrap())),
                base: 1,
            }]
        };
        assert_eq!(
            defs.check_writes(Writes::Edits(&edit("nope")), None).unwrap_err()[0].code,
            "custom.nope.retired"
        );
        defs.fields[1].retired = true;
        assert!(defs.check_writes(Writes::Edits(&edit("area")), None).is_err());
    }

    #[test]
    fn an_edit_of_the_definitions_may_not_drop_a_field_or_choice_or_change_a_kind() {
        let before = fields();
        let mut relabelled = before.clone();
        relabelled.fields[0].zh = "等级".into();
        relabelled.fields[0].choices.push(choice("bronze", "铜卡"));
        relabelled.fields[0].choices[1].retired = true;
        assert!(relabelled.check_change(&before).is_ok());

        let mut dropped = before.clone();
        dropped.fields.pop();
        assert_eq!(dropped.check_change(&before).unwrap_err().code, "fields.removed");
        let mut recast = before.clone();
        recast.fields[1].kind = CustomKind::Text;
        assert_eq!(recast.check_change(&before).unwrap_err().code, "kind.changed");
        let mut fewer = before.clone();
        fewer.fields[0].choices.pop();
        assert_eq!(fewer.check_change(&before).unwrap_err().code, "choices.removed");
        let mut twice = before.clone();
        twice.fields.push(level());
        assert_eq!(twice.check_change(&before).unwrap_err().code, "key.taken");
    }

    #[test]
    fn keys_are_short_lower_case_words() {
        assert!(is_key("plate_no2"));
        assert!(!is_key("Plate"));
        assert!(!is_key("2a"));
        assert!(!is_key("车牌"));
        assert_eq!(next_key("f", ["f1", "f2"]), "f3");
    }
}
