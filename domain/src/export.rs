//! Taking customers out (导出): the columns of an export and each archive as
//! a row of text cells, as the viewer may see it. The headers are the ones
//! an import recognises and the cells are written the way an import reads
//! them, so an exported file can be corrected and imported again. Writing
//! the file itself (a workbook, CSV in UTF-8 or GBK) is the server's
//! `sheet` crate.

use serde::{Deserialize, Serialize};

use crate::archive::{Category, Customer, Gender, LifecycleStage, PartyKind};
use crate::custom_field::CustomFields;
use crate::import::Target;

/// The file types an export is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// An Excel workbook (`.xlsx`).
    #[default]
    Xlsx,
    /// CSV in UTF-8 with a byte-order mark, which Excel reads as UTF-8.
    Csv,
    /// CSV in GB18030, which old Excel set to Chinese reads as GBK: every
    /// character GBK has is written as GBK writes it, and the few it lacks
    /// in GB18030's four-byte form, so nothing is lost.
    CsvGbk,
}

impl ExportFormat {
    /// Every format, in the order a person is offered them.
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Xlsx, ExportFormat::Csv, ExportFormat::CsvGbk];

    /// The name in an address (`?format=csv_gbk`).
    pub fn wire(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
            ExportFormat::CsvGbk => "csv_gbk",
        }
    }

    /// The format named `text` in an address.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.wire() == text)
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv | ExportFormat::CsvGbk => "csv",
        }
    }

    /// The media type the file is sent as.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::CsvGbk => "text/csv; charset=gb18030",
        }
    }
}

/// The address of an export of what `filter` selects, in `format`.
pub fn address(filter: &crate::portfolio::Filter, format: ExportFormat) -> String {
    let mut address = format!("/api/customers/export?format={}", format.wire());
    let parts = [
        ("text", &filter.text),
        ("stage", &filter.stage),
        ("category", &filter.category),
        ("tag", &filter.tag),
        ("city", &filter.city),
        ("custom", &filter.custom),
    ];
    for (name, value) in parts.into_iter().filter(|(_, value)| !value.is_empty()) {
        address.push_str(&format!("&{name}={}", percent_encode(value)));
    }
    address
}

/// `text` with every byte but letters, digits and `-._~` percent-encoded,
/// as UTF-8: for a query value or a header's `filename*` (RFC 5987).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The archive's id: no import column takes it, so a file exported and
/// imported again matches by phone or email, never by a stale id.
const ID_HEADER: &str = "客户编号";

/// What an export holds: the archive's id, every built-in column, then every
/// custom field (retired ones too: their values are still kept).
#[derive(Debug, Clone)]
pub struct Columns {
    targets: Vec<Target>,
    custom: CustomFields,
}

impl Columns {
    /// The columns for the custom fields defined now.
    pub fn new(custom: &CustomFields) -> Self {
        let mut targets = Target::BUILT_IN.to_vec();
        targets.extend(custom.fields.iter().map(|f| Target::Custom(f.key.clone())));
        Self { targets, custom: custom.clone() }
    }

    /// The header row, in Chinese.
    pub fn header(&self) -> Vec<String> {
        let mut header = vec![ID_HEADER.to_owned()];
        header.extend(self.targets.iter().map(|target| match target {
            Target::Custom(key) => self.custom.get(key).map_or_else(|| key.clone(), |f| f.zh.clone()),
            built_in => built_in.heading().to_owned(),
        }));
        header
    }

    /// `customer` as a row under [`Columns::header`]. A masked archive comes
    /// out as masked: this writes what it is given.
    pub fn row(&self, customer: &Customer) -> Vec<String> {
        let mut row = vec![customer.id.to_string()];
        row.extend(self.targets.iter().map(|target| self.cell(customer, target)));
        row
    }

    fn cell(&self, customer: &Customer, target: &Target) -> String {
        let f = &customer.fields;
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        match target {
            Target::Name => f.name.as_str().to_owned(),
            Target::Kind => kind_word(f.kind).to_owned(),
            Target::Phones => f.phones.iter().map(|p| p.number.national()).collect::<Vec<_>>().join("；"),
            Target::Emails => f.emails.iter().map(|e| e.as_str()).collect::<Vec<_>>().join("；"),
            Target::Province => text(&f.address.province),
            Target::City => text(&f.address.city),
            Target::District => text(&f.address.district),
            Target::Address => text(&f.address.detail),
            Target::Birthday => f.birthday.map(|d| d.to_string()).unwrap_or_default(),
            Target::Gender => f.gender.map(gender_word).unwrap_or_default().to_owned(),
            Target::Occupation => text(&f.occupation),
            Target::Industry => text(&f.industry),
            Target::Region => text(&f.region),
            Target::Category => category_word(&f.category),
            Target::Stage => stage_word(f.stage).to_owned(),
            Target::IdNumber => text(&f.id_number),
            Target::Tags => customer.visible_tags().collect::<Vec<_>>().join("；"),
            Target::Keeper => f.owner.as_ref().map(|o| o.0.clone()).unwrap_or_default(),
            Target::Custom(key) => match (self.custom.get(key), f.custom.get(key)) {
                (Some(definition), Some(value)) => definition.show(value, false),
                _ => String::new(),
            },
        }
    }
}

fn kind_word(kind: PartyKind) -> &'static str {
    match kind {
        PartyKind::Person => "个人",
        PartyKind::Company => "企业",
    }
}

fn gender_word(gender: Gender) -> &'static str {
    match gender {
        Gender::Male => "男",
        Gender::Female => "女",
        Gender::Other => "其他",
    }
}

fn category_word(category: &Category) -> String {
    match category {
        Category::Vip => "VIP".to_owned(),
        Category::Regular => "普通".to_owned(),
        Category::Churned => "流失".to_owned(),
        Category::Custom(name) => name.clone(),
    }
}

fn stage_word(stage: LifecycleStage) -> &'static str {
    match stage {
        LifecycleStage::Lead => "线索",
        LifecycleStage::New => "新客户",
        LifecycleStage::Active => "活跃",
        LifecycleStage::Loyal => "忠诚",
        LifecycleStage::AtRisk => "流失风险",
        LifecycleStage::Churned => "已流失",
    }
}

/// One CSV cell: quoted when it must be, and a cell a spreadsheet would run
/// as a formula (`=`, `+`, `-`, `@` first) defused with a leading `'`.
pub fn csv_cell(value: &str) -> String {
    delimited_cell(value, ',')
}

/// One CSV line, with the CRLF Excel writes.
pub fn csv_line(cells: &[String]) -> String {
    delimited_line(cells, ',')
}

/// One line of cells separated by `delimiter` (`,` for CSV, a tab for
/// Excel's "Unicode text"), each made safe as [`csv_cell`] says, with CRLF.
pub fn delimited_line(cells: &[String], delimiter: char) -> String {
    let mut line =
        cells.iter().map(|c| delimited_cell(c, delimiter)).collect::<Vec<_>>().join(&delimiter.to_string());
    line.push_str("\r\n");
    line
}

fn delimited_cell(value: &str, delimiter: char) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([delimiter, '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::{ApplyContext, apply};
    use crate::archive::{Fields, LabelledPhone, PhoneLabel};
    use crate::custom_field::{CustomField, CustomKind, CustomValue};
    use crate::customer::CustomerName;
    use crate::email::Email;
    use crate::ids::{CustomerId, UserId};
    use crate::import::{guess_columns, read_row};
    use crate::mutation::{Change, Sequencer};
    use crate::phone::Phone;
    use crate::time::{Date, Timestamp};

    fn plate() -> CustomFields {
        let field = CustomField {
            key: "plate".into(),
            zh: "车牌号".into(),
            en: "Plate".into(),
            kind: CustomKind::Text,
            required: false,
            choices: Vec::new(),
            retired: false,
        };
        CustomFields { version: 1, fields: vec![field] }
    }

    fn customer() -> Customer {
        let mut fields = Fields::named(CustomerName::parse("张三").unwrap());
        fields.phones =
            vec![LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse("13800138000").unwrap() }];
        fields.emails = vec![Email::parse("zhang@example.com").unwrap()];
        fields.address.city = Some("杭州市".into());
        fields.birthday = Some(Date::new(1990, 5, 1).unwrap());
        fields.gender = Some(Gender::Male);
        fields.stage = LifecycleStage::Loyal;
        fields.category = Category::Vip;
        fields.owner = Some(UserId("rep-a".into()));
        fields.custom.insert("plate".into(), CustomValue::Text("浙A12345".into()));
        let mut client = Sequencer::new(UserId("rep-a".into()));
        let create =
            client.next(CustomerId::new(), Change::Create { fields: Box::new(fields) }, Timestamp(0));
        let context = ApplyContext { version: 1, today: Date::new(2026, 12, 1).unwrap() };
        apply(None, &create, &context).unwrap().0
    }

    #[test]
    fn an_import_recognises_every_column_of_an_export_but_the_id() {
        let columns = Columns::new(&plate());
        let header = columns.header();
        let guessed = guess_columns(&header, &plate());
        assert_eq!(guessed[0], None, "the archive's id is for people, not for matching");
        let mut expected: Vec<Option<Target>> = Target::BUILT_IN.iter().cloned().map(Some).collect();
        expected.push(Some(Target::Custom("plate".into())));
        assert_eq!(guessed[1..], expected[..]);
    }

    #[test]
    fn an_exported_row_reads_back_as_the_same_fields() {
        let columns = Columns::new(&plate());
        let original = customer();
        let row = columns.row(&original);
        assert_eq!(row[0], original.id.to_string());
        let mapping = guess_columns(&columns.header(), &plate());
        let read = read_row(&mapping, &row, &plate(), Date::new(2026, 12, 1).unwrap()).unwrap();
        let (back, before) = (&read.fields, &original.fields);
        assert_eq!(back.name, before.name);
        assert_eq!(back.phones, before.phones);
        assert_eq!(back.emails, before.emails);
        assert_eq!(back.address.city, before.address.city);
        assert_eq!(back.birthday, before.birthday);
        assert_eq!(back.gender, before.gender);
        assert_eq!((back.stage, &back.category), (before.stage, &before.category));
        assert_eq!(back.custom, before.custom);
        assert_eq!(read.keeper.as_deref(), Some("rep-a"));
    }

    #[test]
    fn an_export_address_carries_only_the_filters_in_use() {
        let filter = crate::portfolio::Filter {
            text: "张 3".into(),
            city: "杭州市".into(),
            custom: "level=gold".into(),
            ..Default::default()
        };
        assert_eq!(
            address(&filter, ExportFormat::CsvGbk),
            "/api/customers/export?format=csv_gbk&text=%E5%BC%A0%203&city=%E6%9D%AD%E5%B7%9E%E5%B8%82&custom=level%3Dgold"
        );
        assert_eq!(address(&Default::default(), ExportFormat::Xlsx), "/api/customers/export?format=xlsx");
    }

    #[test]
    fn every_format_has_a_name_that_reads_back() {
        for format in ExportFormat::ALL {
            assert_eq!(ExportFormat::parse(format.wire()), Some(format));
        }
        assert_eq!(ExportFormat::parse("pdf"), None);
    }

    #[test]
    fn cells_with_commas_quotes_or_formulas_are_made_safe() {
        assert_eq!(csv_cell("张三"), "张三");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_line(&["甲".into(), "3".into()]), "甲,3\r\n");
        assert_eq!(delimited_line(&["a\tb".into(), "c,d".into()], '\t'), "\"a\tb\"\tc,d\r\n");
    }
}
