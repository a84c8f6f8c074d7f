//! The audit trail's words, in zh-CN and English: its part of the app's one
//! table of texts ([`crate::i18n::Texts::audit`]), kept beside the feature.

/// Every string the audit page and the record's history show, in one language.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct AuditTexts {
    pub title: &'static str,
    pub nav: &'static str,
    pub user_label: &'static str,
    pub action_label: &'static str,
    pub from_label: &'static str,
    pub to_label: &'static str,
    pub customer_label: &'static str,
    pub search: &'static str,
    pub count: &'static str,
    pub none: &'static str,
    pub present: &'static str,
    pub absent: &'static str,
    pub deleted: &'static str,
    pub item_added: &'static str,
    pub item_removed: &'static str,
    pub item_changed: &'static str,
    pub reason: &'static str,
    pub open_record: &'static str,
    pub offline_history: &'static str,
}

pub(crate) const ZH: AuditTexts = AuditTexts {
    title: "审计日志",
    nav: "审计日志",
    user_label: "用户名",
    action_label: "操作",
    from_label: "从",
    to_label: "到",
    customer_label: "客户编号",
    search: "查询",
    count: "共 {n} 条（最新在前）",
    none: "没有符合条件的记录。",
    present: "有",
    absent: "无",
    deleted: "档案删除",
    item_added: "添加",
    item_removed: "删除",
    item_changed: "修改",
    reason: "原因：{reason}",
    open_record: "打开档案",
    offline_history: "离线时只显示本机已知的修改；联网后显示每次修改的旧值和新值。",
};

pub(crate) const EN: AuditTexts = AuditTexts {
    title: "Audit trail",
    nav: "Audit trail",
    user_label: "User name",
    action_label: "Action",
    from_label: "From",
    to_label: "To",
    customer_label: "Customer id",
    search: "Search",
    count: "{n} entries (newest first)",
    none: "No entry matches.",
    present: "yes",
    absent: "no",
    deleted: "Record deleted",
    item_added: "added",
    item_removed: "removed",
    item_changed: "changed",
    reason: "Reason: {reason}",
    open_record: "Open record",
    offline_history: "Offline, only the changes this device knows are shown; online, every change with its old and new value.",
};
