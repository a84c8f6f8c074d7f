//! The review feature's words, in zh-CN and English: its part of the app's
//! one table of texts ([`crate::i18n::Texts::review`]), kept beside the feature.

/// Every string of the review rules form, "reviewed" and the quiet list, in one language.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct ReviewTexts {
    pub title: &'static str,
    pub help: &'static str,
    pub cycle_days: &'static str,
    pub not_reviewed: &'static str,
    pub stale_days: &'static str,
    pub days_range: &'static str,
    pub saved: &'static str,
    pub save: &'static str,
    pub reviewed: &'static str,
    pub agenda_quiet: &'static str,
    pub quiet_since: &'static str,
}

pub(crate) const ZH: ReviewTexts = ReviewTexts {
    title: "复核周期与久未联系",
    help: "点“已复核”时，下次复核日期按客户分类的周期顺延；多少天既无改动也无联系的客户，会列在其负责人的“今日”里。",
    cycle_days: "{category}：每几天复核一次",
    not_reviewed: "留空表示此分类不定期复核",
    stale_days: "多少天无改动、无联系算久未联系",
    days_range: "请填 7 到 730 之间的天数",
    saved: "已保存。各设备下次同步时会拿到新的规则。",
    save: "保存复核规则",
    reviewed: "已复核",
    agenda_quiet: "久未联系",
    quiet_since: "上次：{date}",
};

pub(crate) const EN: ReviewTexts = ReviewTexts {
    title: "Review cycles and quiet records",
    help: "\"Reviewed\" moves a record's next review by the cycle of its category; records with no change and no contact for longer than the quiet spell are listed on their keeper's Today.",
    cycle_days: "{category}: review every … days",
    not_reviewed: "Leave empty: this category is not reviewed on a cycle",
    stale_days: "Days without a change or a contact before a record counts as quiet",
    days_range: "Enter a number of days from 7 to 730",
    saved: "Saved. Devices get the new rules at their next sync.",
    save: "Save review rules",
    reviewed: "Reviewed",
    agenda_quiet: "Gone quiet",
    quiet_since: "Last: {date}",
};
