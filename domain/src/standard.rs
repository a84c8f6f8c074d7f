//! Standard values for fields people would otherwise spell many ways: the
//! provinces of the national administrative division list (GB/T 2260) and
//! the industry sections of the national classification (GB/T 4754-2017).
//! An archive stores the Chinese name, which is what reports and exports
//! show; the English name is for the interface.

/// One standard value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standard {
    /// Its code in the national standard.
    pub code: &'static str,
    /// The Chinese name, as stored.
    pub zh: &'static str,
    /// The English name.
    pub en: &'static str,
}

const fn s(code: &'static str, zh: &'static str, en: &'static str) -> Standard {
    Standard { code, zh, en }
}

/// The 34 provincial-level divisions, in the order of their codes.
pub const PROVINCES: &[Standard] = &[
    s("11", "北京市", "Beijing"),
    s("12", "天津市", "Tianjin"),
    s("13", "河北省", "Hebei"),
    s("14", "山西省", "Shanxi"),
    s("15", "内蒙古自治区", "Inner Mongolia"),
    s("21", "辽宁省", "Liaoning"),
    s("22", "吉林省", "Jilin"),
    s("23", "黑龙江省", "Heilongjiang"),
    s("31", "上海市", "Shanghai"),
    s("32", "江苏省", "Jiangsu"),
    s("33", "浙江省", "Zhejiang"),
    s("34", "安徽省", "Anhui"),
    s("35", "福建省", "Fujian"),
    s("36", "江西省", "Jiangxi"),
    s("37", "山东省", "Shandong"),
    s("41", "河南省", "Henan"),
    s("42", "湖北省", "Hubei"),
    s("43", "湖南省", "Hunan"),
    s("44", "广东省", "Guangdong"),
    s("45", "广西壮族自治区", "Guangxi"),
    s("46", "海南省", "Hainan"),
    s("50", "重庆市", "Chongqing"),
    s("51", "四川省", "Sichuan"),
    s("52", "贵州省", "Guizhou"),
    s("53", "云南省", "Yunnan"),
    s("54", "西藏自治区", "Tibet"),
    s("61", "陕西省", "Shaanxi"),
    s("62", "甘肃省", "Gansu"),
    s("63", "青海省", "Qinghai"),
    s("64", "宁夏回族自治区", "Ningxia"),
    s("65", "新疆维吾尔自治区", "Xinjiang"),
    s("71", "台湾省", "Taiwan"),
    s("81", "香港特别行政区", "Hong Kong"),
    s("82", "澳门特别行政区", "Macao"),
];

/// The 20 sections of the industry classification.
pub const INDUSTRIES: &[Standard] = &[
    s("A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    s("B", "采矿业", "Mining"),
    s("C", "制造业", "Manufacturing"),
    s("D", "电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water supply"),
    s("E", "建筑业", "Construction"),
    s("F", "批发和零售业", "Wholesale and retail"),
    s("G", "交通运输、仓储和邮政业", "Transport, storage and post"),
    s("H", "住宿和餐饮业", "Accommodation and catering"),
    s("I", "信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    s("J", "金融业", "Finance"),
    s("K", "房地产业", "Real estate"),
    s("L", "租赁和商务服务业", "Leasing and business services"),
    s("M", "科学研究和技术服务业", "Scientific research and technical services"),
    s("N", "水利、环境和公共设施管理业", "Water, environment and public facilities management"),
    s("O", "居民服务、修理和其他服务业", "Resident services, repair and other services"),
    s("P", "教育", "Education"),
    s("Q", "卫生和社会工作", "Health and social work"),
    s("R", "文化、体育和娱乐业", "Culture, sports and entertainment"),
    s("S", "公共管理、社会保障和社会组织", "Public administration and social organisations"),
    s("T", "国际组织", "International organisations"),
];

/// The province `raw` names, written in full ("广东省"), short ("广东",
/// "内蒙古") or in English ("Guangdong", any case).
pub fn province(raw: &str) -> Option<&'static Standard> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    PROVINCES.iter().find(|p| {
        p.zh == raw || p.en.eq_ignore_ascii_case(raw) || (raw.chars().count() >= 2 && p.zh.starts_with(raw))
    })
}

/// The province a resident ID number was issued in (its first two digits).
pub fn province_of_code(code: &str) -> Option<&'static Standard> {
    PROVINCES.iter().find(|p| code.get(..2) == Some(p.code))
}

/// The industry section `raw` names, by its Chinese or English name or its letter.
pub fn industry(raw: &str) -> Option<&'static Standard> {
    let raw = raw.trim();
    INDUSTRIES.iter().find(|i| i.zh == raw || i.en.eq_ignore_ascii_case(raw) || i.code == raw)
}

/// The name of a stored value in the interface's language: the English
/// name of a standard value, anything else as stored.
pub fn display<'a>(list: &'static [Standard], stored: &'a str, chinese: bool) -> &'a str {
    match list.iter().find(|s| s.zh == stored) {
        Some(standard) if !chinese => standard.en,
        _ => stored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_province_is_found_however_it_is_written() {
        for raw in ["广东省", "广东", " Guangdong ", "guangdong"] {
            assert_eq!(province(raw).map(|p| p.zh), Some("广东省"), "{raw}");
        }
        assert_eq!(province("内蒙古").map(|p| p.code), Some("15"));
        assert_eq!(province("广"), None, "one character names nothing for sure");
        assert_eq!(province(""), None);
        assert_eq!(province_of_code("11010519491231002X").map(|p| p.zh), Some("北京市"));
    }

    #[test]
    fn every_standard_value_has_a_unique_code_and_names() {
        for list in [PROVINCES, INDUSTRIES] {
            let mut codes: Vec<_> = list.iter().map(|s| s.code).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), list.len());
            assert!(list.iter().all(|s| !s.zh.is_empty() && !s.en.is_empty()));
        }
        assert_eq!(PROVINCES.len(), 34);
        assert_eq!(INDUSTRIES.len(), 20);
    }

    #[test]
    fn an_industry_shows_in_english_and_an_unknown_one_as_stored() {
        assert_eq!(industry("制造业").map(|i| i.code), Some("C"));
        assert_eq!(display(INDUSTRIES, "制造业", false), "Manufacturing");
        assert_eq!(display(INDUSTRIES, "制造业", true), "制造业");
        assert_eq!(display(INDUSTRIES, "奶茶", false), "奶茶");
    }
}
