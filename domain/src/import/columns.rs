//! Which column of a file holds what: headers matched by name, in Chinese
//! or English, with the synonyms old systems and hand-made sheets use.

use crate::custom_field::CustomFields;
use serde::{Deserialize, Serialize};

/// What a column is imported as.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "to", content = "key", rename_all = "snake_case")]
pub enum Target {
    /// The customer's name (a person's or a company's).
    Name,
    /// Person or company.
    Kind,
    /// Phone numbers, one or several in the cell.
    Phones,
    /// Email addresses.
    Emails,
    /// 省.
    Province,
    /// 市.
    City,
    /// 区 / 县.
    District,
    /// Street, building, room.
    Address,
    /// A person's birthday.
    Birthday,
    /// A person's gender.
    Gender,
    /// A person's occupation.
    Occupation,
    /// A company's industry.
    Industry,
    /// Sales region.
    Region,
    /// VIP, regular, churned.
    Category,
    /// Lead to churned.
    Stage,
    /// Resident ID or credit code.
    IdNumber,
    /// Tags, several in the cell.
    Tags,
    /// The rep who keeps the customer, by user name.
    Keeper,
    /// A custom field, by its key.
    Custom(String),
}

impl Target {
    /// Every built-in target, in the order forms and files show them.
    pub const BUILT_IN: [Target; 18] = [
        Target::Name,
        Target::Kind,
        Target::Phones,
        Target::Emails,
        Target::Province,
        Target::City,
        Target::District,
        Target::Address,
        Target::Birthday,
        Target::Gender,
        Target::Occupation,
        Target::Industry,
        Target::Region,
        Target::Category,
        Target::Stage,
        Target::IdNumber,
        Target::Tags,
        Target::Keeper,
    ];

    /// The header a file written here gives this column: the first name it
    /// answers to, so an exported file imports again. A custom field's
    /// column is headed by its label, which only the caller knows.
    pub fn heading(&self) -> &'static str {
        SYNONYMS.iter().find(|(target, _)| target == self).map_or("", |(_, names)| names[0])
    }
}

/// Headers each built-in target answers to, after [`normalise`].
const SYNONYMS: &[(Target, &[&str])] = &[
    (
        Target::Name,
        &[
            "客户名称",
            "客户姓名",
            "姓名",
            "名称",
            "客户",
            "公司名称",
            "企业名称",
            "单位名称",
            "公司",
            "name",
            "customer",
            "customername",
            "company",
            "companyname",
            "fullname",
        ],
    ),
    (Target::Kind, &["客户类型", "类型", "个人/企业", "kind", "type", "customertype"]),
    (
        Target::Phones,
        &[
            "手机",
            "手机号",
            "手机号码",
            "电话",
            "联系电话",
            "电话号码",
            "联系方式",
            "移动电话",
            "座机",
            "mobile",
            "phone",
            "tel",
            "telephone",
            "cell",
            "mobilephone",
            "phonenumber",
        ],
    ),
    (Target::Emails, &["邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail", "emailaddress"]),
    (Target::Province, &["省", "省份", "所在省", "province", "state"]),
    (Target::City, &["市", "城市", "所在城市", "city"]),
    (Target::District, &["区", "区县", "县区", "区/县", "district", "county"]),
    (
        Target::Address,
        &["地址", "详细地址", "通讯地址", "联系地址", "街道地址", "address", "street", "streetaddress"],
    ),
    (Target::Birthday, &["生日", "出生日期", "出生年月日", "birthday", "dateofbirth", "dob", "birthdate"]),
    (Target::Gender, &["性别", "gender", "sex"]),
    (Target::Occupation, &["职业", "职务", "职位", "occupation", "title", "job", "jobtitle"]),
    (Target::Industry, &["行业", "所属行业", "industry"]),
    (Target::Region, &["区域", "销售区域", "片区", "大区", "region", "area", "territory"]),
    (
        Target::Category,
        &[
            "客户等级",
            "客户级别",
            "客户类别",
            "客户分类",
            "等级",
            "级别",
            "类别",
            "category",
            "level",
            "grade",
            "class",
        ],
    ),
    (Target::Stage, &["阶段", "客户阶段", "生命周期", "客户状态", "stage", "lifecycle", "status"]),
    (
        Target::IdNumber,
        &[
            "身份证",
            "身份证号",
            "身份证号码",
            "证件号",
            "证件号码",
            "统一社会信用代码",
            "信用代码",
            "idnumber",
            "idcard",
            "id",
        ],
    ),
    (Target::Tags, &["标签", "tags", "tag", "labels"]),
    (
        Target::Keeper,
        &[
            "负责人",
            "业务员",
            "建档人",
            "归属人",
            "跟进人",
            "销售",
            "客户经理",
            "owner",
            "keeper",
            "rep",
            "salesrep",
            "accountmanager",
        ],
    ),
];

/// A header as compared: lower case, without spaces, marks such as `*`
/// (required in many templates) and anything in brackets ("手机（必填）").
pub fn normalise(header: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in header.trim().chars() {
        match c {
            '(' | '（' | '[' | '【' => depth += 1,
            ')' | '）' | ']' | '】' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            '*' | '＊' | ':' | '：' | '_' | '-' | ' ' | '\u{3000}' => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// A file's headers as one key, the same for every file an old system
/// exports (whatever the case, spacing or marks of its headers), so the
/// columns chosen for one can be offered for the next.
pub fn header_signature(headers: &[String]) -> String {
    headers.iter().map(|h| normalise(h)).collect::<Vec<_>>().join("|")
}

/// The target each header most likely is, or none; no target is given to
/// two columns (the first one wins). Custom fields are found by their
/// Chinese or English label or their key.
pub fn guess_columns(headers: &[String], custom: &CustomFields) -> Vec<Option<Target>> {
    let mut taken: Vec<Target> = Vec::new();
    headers
        .iter()
        .map(|header| {
            let header = normalise(header);
            if header.is_empty() {
                return None;
            }
            let custom_target = custom
                .active()
                .find(|f| {
                    [f.zh.as_str(), f.en.as_str(), f.key.as_str()].iter().any(|l| normalise(l) == header)
                })
                .map(|f| Target::Custom(f.key.clone()));
            let target = custom_target.or_else(|| {
                SYNONYMS
                    .iter()
                    .find(|(_, names)| names.iter().any(|n| normalise(n) == header))
                    .map(|(t, _)| t.clone())
            })?;
            if taken.contains(&target) {
                return None;
            }
            taken.push(target.clone());
            Some(target)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::custom_field::{CustomField, CustomKind};

    use super::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn headers_written_a_little_differently_have_one_signature() {
        let a = header_signature(&["客户名称".into(), "手机（必填）".into(), "E-mail".into()]);
        let b = header_signature(&[" 客户名称 ".into(), "手机".into(), "e mail".into()]);
        assert_eq!(a, b);
        assert_ne!(a, header_signature(&["客户名称".into(), "手机".into()]));
    }

    #[test]
    fn headers_are_matched_in_chinese_and_english_with_their_synonyms() {
        let guessed = guess_columns(
            &headers(&["客户名称*", "联系电话（必填）", "E-mail", "出生日期", "备注", "Owner", "客户等级"]),
            &CustomFields::default(),
        );
        assert_eq!(
            guessed,
            [
                Some(Target::Name),
                Some(Target::Phones),
                Some(Target::Emails),
                Some(Target::Birthday),
                None,
                Some(Target::Keeper),
                Some(Target::Category),
            ]
        );
    }

    #[test]
    fn a_second_column_for_the_same_thing_is_left_for_the_person_to_map() {
        let guessed = guess_columns(&headers(&["手机", "电话"]), &CustomFields::default());
        assert_eq!(guessed, [Some(Target::Phones), None]);
    }

    #[test]
    fn a_custom_field_is_found_by_its_label() {
        let plate = CustomField {
            key: "plate".into(),
            zh: "车牌号".into(),
            en: "Plate number".into(),
            kind: CustomKind::Text,
            required: false,
            choices: Vec::new(),
            retired: false,
        };
        let custom = CustomFields { version: 1, fields: vec![plate] };
        let guessed = guess_columns(&headers(&["车牌号", "plate number"]), &custom);
        assert_eq!(guessed, [Some(Target::Custom("plate".into())), None]);
    }
}
