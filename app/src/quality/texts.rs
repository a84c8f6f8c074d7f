//! The data-quality page's words, in zh-CN and English: its part of the
//! app's one table of texts ([`crate::i18n::Texts::quality`]).

/// Every string of the data-quality page, in one language.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct QualityTexts {
    pub title: &'static str,
    pub nav: &'static str,
    pub help: &'static str,
    pub pool: &'static str,
    pub archives: &'static str,
    pub field: &'static str,
    pub complete: &'static str,
    pub failing: &'static str,
    pub show_failing: &'static str,
    pub more_failing: &'static str,
    pub empty: &'static str,
}

pub(crate) const ZH: QualityTexts = QualityTexts {
    title: "数据质量",
    nav: "数据质量",
    help: "按团队、按字段统计档案的完整程度，以及按现行规则不合规的值（规则收紧后，旧档案里的值会在这里出现）。点数字查看是哪些客户。",
    pool: "公海",
    archives: "{n} 个客户",
    field: "字段",
    complete: "已填",
    failing: "不合规",
    show_failing: "查看不合规的客户",
    more_failing: "另有 {n} 个未列出",
    empty: "还没有客户档案。",
};

pub(crate) const EN: QualityTexts = QualityTexts {
    title: "Data quality",
    nav: "Data quality",
    help: "Per team and per field: how complete the records are, and which values today's rules refuse (after a rule gets stricter, older records show up here). Tap a number to see which customers.",
    pool: "Pool",
    archives: "{n} customers",
    field: "Field",
    complete: "Filled",
    failing: "Failing",
    show_failing: "Customers failing",
    more_failing: "{n} more not listed",
    empty: "No customer records yet.",
};
