//! One row of a file read into an archive's fields, cell by cell, with the
//! rules the forms apply. Nothing is coerced silently: a value that cannot
//! be read is an error naming its column; one read by a conversion that is
//! unambiguous (an Excel date serial, `19900501`) is read and said so.

use std::collections::BTreeSet;

use crate::archive::{
    Category, Fields, Gender, LabelledPhone, LifecycleStage, PartyKind, PhoneLabel, SourceChannel,
};
use crate::custom_field::{CustomField, CustomFields, CustomKind, CustomValue, Number};
use crate::phone::PhoneKind;
use crate::time::Date;
use crate::{CustomerName, Email, FieldError, Phone, identity, standard, validate};
use serde::{Deserialize, Serialize};

use super::columns::Target;

/// Something about one cell: an error that keeps the row out, or a note
/// on a conversion the row was read with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// The column (0-based), when one cell is at fault.
    pub column: Option<usize>,
    /// What is wrong, as the forms say it (`birthday.format`, ...).
    pub error: FieldError,
}

/// A row read into what a new archive would hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRow {
    /// The fields; empty cells leave a field as a new archive has it.
    pub fields: Fields,
    /// Which fields the row gave a value for (an update writes only those).
    pub given: BTreeSet<Target>,
    /// Its tags.
    pub tags: BTreeSet<String>,
    /// The keeper's user name, when a column names one.
    pub keeper: Option<String>,
    /// Conversions it was read with.
    pub notes: Vec<Issue>,
}

/// Separators between several values in one cell. Spaces are not one: a
/// phone number is often written with spaces.
const LIST: [char; 8] = [',', '，', ';', '；', '/', '、', '\n', '|'];

/// Reads one row. `mapping` says what each column is; `today` bounds dates.
pub fn read_row(
    mapping: &[Option<Target>],
    cells: &[String],
    custom: &CustomFields,
    today: Date,
) -> Result<ReadRow, Vec<Issue>> {
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    let cell = |target: &Target| -> Option<(usize, &str)> {
        let column = mapping.iter().position(|m| m.as_ref() == Some(target))?;
        // A leading `'` is how a spreadsheet (and an export from here) keeps
        // `+86…` or `=…` as text; it is not part of the value.
        let text = cells.get(column).map(|c| c.trim()).map(|c| c.strip_prefix('\'').unwrap_or(c).trim());
        Some((column, text.filter(|c| !c.is_empty())?))
    };
    let name = match cell(&Target::Name) {
        Some((column, text)) => {
            CustomerName::parse(text).map_err(|error| errors.push(Issue { column: Some(column), error })).ok()
        }
        None => {
            let column = mapping.iter().position(|m| m == &Some(Target::Name));
            errors.push(Issue { column, error: FieldError::new("name", "required") });
            None
        }
    };
    let placeholder = CustomerName::parse("-").expect("a one-character name");
    let mut fields = Fields::named(name.unwrap_or(placeholder));
    fields.source = SourceChannel::Import;
    let mut given = BTreeSet::new();
    let mut tags = BTreeSet::new();
    let mut keeper = None;

    if let Some((column, text)) = cell(&Target::Kind) {
        match party_kind(text) {
            Some(kind) => fields.kind = kind,
            None => errors.push(Issue { column: Some(column), error: FieldError::new("kind", "unknown") }),
        }
    }
    for target in mapping.iter().flatten() {
        let Some((column, text)) = cell(target) else { continue };
        given.insert(target.clone());
        let mut fail = |error: FieldError| errors.push(Issue { column: Some(column), error });
        match target {
            Target::Name | Target::Kind => {}
            Target::Phones => match phones(text) {
                Ok(list) => fields.phones = list,
                Err(error) => fail(error),
            },
            Target::Emails => {
                let read: Result<Vec<Email>, FieldError> =
                    text.split(LIST).flat_map(str::split_whitespace).map(Email::parse).collect();
                match read {
                    Ok(list) => fields.emails = list,
                    Err(error) => fail(error),
                }
            }
            Target::Province => match standard::province(text) {
                Some(province) => fields.address.province = Some(province.zh.to_owned()),
                None => fail(FieldError::new("address.province", "unknown")),
            },
            Target::City => fields.address.city = Some(text.to_owned()),
            Target::District => fields.address.district = Some(text.to_owned()),
            Target::Address => fields.address.detail = Some(text.to_owned()),
            Target::Birthday => match read_date(text, "birthday") {
                Ok((day, converted)) if day <= today => {
                    fields.birthday = Some(day);
                    if converted {
                        notes.push(Issue {
                            column: Some(column),
                            error: FieldError::new("birthday", "converted"),
                        });
                    }
                }
                Ok(_) => fail(FieldError::new("birthday", "in_future")),
                Err(error) => fail(error),
            },
            Target::Gender => match gender(text) {
                Some(g) => fields.gender = Some(g),
                None => fail(FieldError::new("gender", "unknown")),
            },
            Target::Occupation => fields.occupation = Some(text.to_owned()),
            Target::Industry => match standard::industry(text) {
                Some(industry) => fields.industry = Some(industry.zh.to_owned()),
                None => fail(FieldError::new("industry", "unknown")),
            },
            Target::Region => fields.region = Some(text.to_owned()),
            Target::Category => match category(text) {
                Some(c) => fields.category = c,
                None => fail(FieldError::new("category", "unknown")),
            },
            Target::Stage => match stage(text) {
                Some(s) => fields.stage = s,
                None => fail(FieldError::new("stage", "unknown")),
            },
            Target::IdNumber => {
                if lost_digits(text) {
                    fail(FieldError::new("id_number", "excel_number"));
                } else {
                    let number = identity::normalise(text);
                    match identity::check(fields.kind, &number, today) {
                        Ok(()) => fields.id_number = Some(number),
                        Err(error) => fail(error),
                    }
                }
            }
            Target::Tags => {
                for tag in text.split(LIST) {
                    if tag.trim().is_empty() {
                        continue;
                    }
                    match validate::tag(tag) {
                        Ok(tag) => {
                            tags.insert(tag);
                        }
                        Err(error) => fail(error),
                    }
                }
            }
            Target::Keeper => keeper = Some(text.to_owned()),
            Target::Custom(key) => match custom.get(key).filter(|f| !f.retired) {
                Some(field) => match custom_value(field, text) {
                    Ok((value, converted)) => {
                        if converted {
                            let note = FieldError::new(&field.error_field(), "converted");
                            notes.push(Issue { column: Some(column), error: note });
                        }
                        fields.custom.insert(key.clone(), value);
                    }
                    Err(error) => fail(error),
                },
                None => fail(FieldError::new(&crate::custom_field::error_field(key), "retired")),
            },
        }
    }
    if errors.is_empty() { Ok(ReadRow { fields, given, tags, keeper, notes }) } else { Err(errors) }
}

/// A number a spreadsheet showed in scientific notation: its last digits are gone.
fn lost_digits(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    upper.contains("E+") && upper.trim_start_matches(['+', '-']).starts_with(|c: char| c.is_ascii_digit())
}

fn phones(text: &str) -> Result<Vec<LabelledPhone>, FieldError> {
    let mut list: Vec<LabelledPhone> = Vec::new();
    for part in text.split(LIST).map(str::trim).filter(|p| !p.is_empty()) {
        if lost_digits(part) {
            return Err(FieldError::new("phone", "excel_number"));
        }
        let number = Phone::parse(part)?;
        let label = if number.kind() == PhoneKind::Mobile { PhoneLabel::Mobile } else { PhoneLabel::Work };
        if !list.iter().any(|p| p.number == number) {
            list.push(LabelledPhone { label, number });
        }
    }
    Ok(list)
}

/// A day as people and spreadsheets write it: `1990-05-01`, `1990/5/1`,
/// `1990.5.1`, `1990年5月1日`, with or without a time after it; and, read
/// and said so (`true`), `19900501` and an Excel date serial (`32994`).
pub fn read_date(text: &str, field: &str) -> Result<(Date, bool), FieldError> {
    let text = text.trim();
    if text.chars().all(|c| c.is_ascii_digit()) {
        return match text.len() {
            8 => {
                let spelled = format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..]);
                Date::parse_field(&spelled, field).map(|d| (d, true))
            }
            1..=5 => {
                let serial: f64 = text.parse().map_err(|_| FieldError::new(field, "format"))?;
                Ok((super::serial_date(serial), true))
            }
            _ => Err(FieldError::new(field, "format")),
        };
    }
    let day = text.split([' ', 'T']).next().unwrap_or_default();
    let spelled: String = day
        .chars()
        .filter(|c| *c != '日')
        .map(|c| if matches!(c, '年' | '月' | '/' | '.') { '-' } else { c })
        .collect();
    Date::parse_field(spelled.trim_end_matches('-'), field).map(|d| (d, false))
}

fn words(text: &str) -> String {
    text.trim().to_lowercase().replace([' ', '_', '-'], "")
}

fn party_kind(text: &str) -> Option<PartyKind> {
    match words(text).as_str() {
        "个人" | "自然人" | "个体" | "person" | "individual" | "private" => Some(PartyKind::Person),
        "企业" | "公司" | "单位" | "机构" | "法人" | "company" | "business" | "organisation"
        | "organization" => Some(PartyKind::Company),
        _ => None,
    }
}

fn gender(text: &str) -> Option<Gender> {
    match words(text).as_str() {
        "男" | "男性" | "先生" | "male" | "m" => Some(Gender::Male),
        "女" | "女性" | "女士" | "female" | "f" => Some(Gender::Female),
        "其他" | "other" => Some(Gender::Other),
        _ => None,
    }
}

fn category(text: &str) -> Option<Category> {
    match words(text).as_str() {
        "vip" | "vip客户" | "重要" | "重要客户" | "大客户" | "key" => Some(Category::Vip),
        "普通" | "普通客户" | "一般" | "一般客户" | "regular" | "normal" => {
            Some(Category::Regular)
        }
        "流失" | "流失客户" | "已流失" | "churned" | "lost" => Some(Category::Churned),
        _ => None,
    }
}

fn stage(text: &str) -> Option<LifecycleStage> {
    match words(text).as_str() {
        "线索" | "潜在" | "潜在客户" | "意向客户" | "lead" | "prospect" => {
            Some(LifecycleStage::Lead)
        }
        "新客户" | "新" | "new" => Some(LifecycleStage::New),
        "活跃" | "活跃客户" | "active" => Some(LifecycleStage::Active),
        "忠诚" | "忠诚客户" | "老客户" | "loyal" => Some(LifecycleStage::Loyal),
        "流失风险" | "有流失风险" | "atrisk" => Some(LifecycleStage::AtRisk),
        "已流失" | "流失" | "churned" => Some(LifecycleStage::Churned),
        _ => None,
    }
}

/// A custom field's value from a cell; `true` when a date was converted.
fn custom_value(field: &CustomField, text: &str) -> Result<(CustomValue, bool), FieldError> {
    let name = field.error_field();
    let choice = |text: &str| -> Result<String, FieldError> {
        let wanted = words(text);
        field
            .choices
            .iter()
            .filter(|c| !c.retired)
            .find(|c| [c.key.as_str(), c.zh.as_str(), c.en.as_str()].iter().any(|l| words(l) == wanted))
            .map(|c| c.key.clone())
            .ok_or_else(|| FieldError::new(&name, "unknown"))
    };
    let (value, converted) = match field.kind {
        CustomKind::Text => (CustomValue::Text(text.to_owned()), false),
        CustomKind::Number => {
            let number = Number::parse(text)
                .map_err(|e| FieldError::new(&name, e.code.rsplit('.').next().unwrap_or("format")))?;
            (CustomValue::Number(number), false)
        }
        CustomKind::Date => {
            let (day, converted) = read_date(text, &name)?;
            (CustomValue::Date(day), converted)
        }
        CustomKind::Choice => (CustomValue::Choice(choice(text)?), false),
        CustomKind::MultiChoice => {
            let keys: Result<BTreeSet<String>, FieldError> =
                text.split(LIST).map(str::trim).filter(|t| !t.is_empty()).map(choice).collect();
            (CustomValue::Choices(keys?), false)
        }
    };
    field.check_value(&value)?;
    Ok((value, converted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 23).unwrap()
    }

    fn read(headers: &[Target], cells: &[&str]) -> Result<ReadRow, Vec<Issue>> {
        let mapping: Vec<Option<Target>> = headers.iter().cloned().map(Some).collect();
        let cells: Vec<String> = cells.iter().map(|c| (*c).to_owned()).collect();
        read_row(&mapping, &cells, &CustomFields::default(), today())
    }

    fn codes(issues: Vec<Issue>) -> Vec<(Option<usize>, String)> {
        issues.into_iter().map(|i| (i.column, i.error.code)).collect()
    }

    #[test]
    fn a_row_is_read_with_the_rules_the_forms_apply() {
        use Target::*;
        let row = read(
            &[Name, Phones, Emails, Province, Birthday, Gender, Category, Stage, Tags],
            &[
                "张三",
                "138 0013 8000, 010-65529988",
                "zs@example.com",
                "广东",
                "1990/5/1",
                "男",
                "VIP",
                "老客户",
                "车主、高尔夫",
            ],
        )
        .unwrap();
        let f = &row.fields;
        assert_eq!(f.name.as_str(), "张三");
        assert_eq!(
            f.phones.iter().map(|p| p.number.e164()).collect::<Vec<_>>(),
            ["+8613800138000", "+861065529988"]
        );
        assert_eq!(f.phones[1].label, PhoneLabel::Work);
        assert_eq!(f.address.province.as_deref(), Some("广东省"));
        assert_eq!(f.birthday, Date::new(1990, 5, 1));
        assert_eq!(
            (f.gender, f.category.clone(), f.stage),
            (Some(crate::archive::Gender::Male), crate::archive::Category::Vip, LifecycleStage::Loyal)
        );
        assert_eq!(f.source, SourceChannel::Import);
        assert_eq!(row.tags.iter().map(String::as_str).collect::<Vec<_>>(), ["车主", "高尔夫"]);
        assert!(row.notes.is_empty());
    }

    #[test]
    fn what_a_spreadsheet_did_to_a_number_is_an_error_not_a_wrong_value() {
        use Target::*;
        let issues = read(&[Name, IdNumber, Phones], &["李四", "1.10105E+17", "1.38001E+10"]).unwrap_err();
        assert_eq!(
            codes(issues),
            [(Some(1), "id_number.excel_number".into()), (Some(2), "phone.excel_number".into())]
        );
    }

    #[test]
    fn an_excel_date_serial_is_read_and_said_so() {
        use Target::*;
        let row = read(&[Name, Birthday], &["王五", "32994"]).unwrap();
        assert_eq!(row.fields.birthday, Date::new(1990, 5, 1));
        assert_eq!(codes(row.notes), [(Some(1), "birthday.converted".into())]);
        assert_eq!(read_date("1990年5月1日", "birthday").unwrap(), (Date::new(1990, 5, 1).unwrap(), false));
        assert_eq!(read_date("19900501", "birthday").unwrap(), (Date::new(1990, 5, 1).unwrap(), true));
        assert_eq!(read_date("1990-05-01 00:00:00", "birthday").unwrap().0, Date::new(1990, 5, 1).unwrap());
        assert_eq!(read_date("五月", "birthday").unwrap_err().code, "birthday.invalid");
    }

    #[test]
    fn each_bad_cell_is_named_by_its_column() {
        use Target::*;
        let issues = read(
            &[Name, Phones, Emails, Gender, Category, Birthday],
            &["", "12345", "nope", "?", "金牌", "2099-01-01"],
        )
        .unwrap_err();
        let columns: Vec<Option<usize>> = issues.iter().map(|i| i.column).collect();
        assert_eq!(columns, [Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)]);
        assert_eq!(issues[0].error.code, "name.required");
        assert_eq!(issues[5].error.code, "birthday.in_future");
    }

    #[test]
    fn a_companys_credit_code_is_checked_as_a_companys() {
        use Target::*;
        let company = read(&[Name, Kind, IdNumber], &["某某公司", "企业", "91350100M000100Y43"]).unwrap();
        assert_eq!(company.fields.kind, PartyKind::Company);
        let typo = read(&[Name, Kind, IdNumber], &["某某公司", "企业", "91350100M000100Y44"]).unwrap_err();
        assert_eq!(typo[0].error.code, "id_number.check_character");
    }

    #[test]
    fn custom_fields_are_read_by_choice_label_and_kind() {
        use crate::custom_field::Choice;
        let choice = |k: &str, zh: &str, en: &str| Choice {
            key: k.into(),
            zh: zh.into(),
            en: en.into(),
            retired: false,
        };
        let level = CustomField {
            key: "level".into(),
            zh: "等级".into(),
            en: String::new(),
            kind: CustomKind::Choice,
            required: false,
            choices: vec![choice("gold", "金卡", "Gold"), choice("silver", "银卡", "Silver")],
            retired: false,
        };
        let mut area = level.clone();
        area.key = "area".into();
        area.kind = CustomKind::Number;
        area.choices.clear();
        let custom = CustomFields { version: 1, fields: vec![level, area] };
        let mapping =
            [Some(Target::Name), Some(Target::Custom("level".into())), Some(Target::Custom("area".into()))];
        let cells = |row: [&str; 3]| row.map(str::to_owned).to_vec();
        let row = read_row(&mapping, &cells(["赵六", "gold", "1,200"]), &custom, today()).unwrap();
        assert_eq!(row.fields.custom["level"], CustomValue::Choice("gold".into()));
        assert_eq!(row.fields.custom["area"].text(), "1200");
        let row = read_row(&mapping, &cells(["赵六", "银卡", ""]), &custom, today()).unwrap();
        assert_eq!(row.fields.custom["level"], CustomValue::Choice("silver".into()));
        let bad = read_row(&mapping, &cells(["赵六", "铜卡", "很多"]), &custom, today()).unwrap_err();
        assert_eq!(
            codes(bad),
            [(Some(1), "custom.level.unknown".into()), (Some(2), "custom.area.format".into())]
        );
    }
}
