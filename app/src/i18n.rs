//! Interface text in zh-CN (the default) and English. The choice lives in
//! a cookie, so the server renders the page in it and the offline shell
//! boots in it too.

use domain::analytics::rfm::Segment;
use domain::archive::{
    Category, CompanySize, ContactChannel, FeedbackKind, FeedbackStatus, Gender, InteractionKind,
    LifecycleStage, PartyKind, PhoneLabel, Severity, SourceChannel, TaskKind,
};
use domain::calendar::Festival;
use domain::{FieldError, Refusal};
use leptos::prelude::*;

mod calendar;
pub use calendar::{birthday_text, lunar_month_day};

/// The cookie that holds the chosen language.
pub const LOCALE_COOKIE: &str = "crm_lang";

/// A language the interface is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Locale {
    /// Simplified Chinese, the default.
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Locale {
    /// The value of the `lang` attribute for this locale.
    pub fn html_lang(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }

    /// The locale a `Cookie` header (or `document.cookie`) chose; zh-CN
    /// when none did.
    pub fn from_cookies(cookies: &str) -> Self {
        let chosen = cookies
            .split(';')
            .filter_map(|c| c.trim().split_once('='))
            .find(|(name, _)| *name == LOCALE_COOKIE)
            .map(|(_, value)| value);
        match chosen {
            Some("en") => Self::En,
            _ => Self::ZhCn,
        }
    }

    /// The locale of this request (on the server) or this page (in the browser).
    pub fn detect() -> Self {
        #[cfg(feature = "ssr")]
        {
            use_context::<axum::http::request::Parts>()
                .and_then(|parts| {
                    parts.headers.get(axum::http::header::COOKIE)?.to_str().ok().map(Self::from_cookies)
                })
                .unwrap_or_default()
        }
        #[cfg(not(feature = "ssr"))]
        {
            js_sys::Reflect::get(&document(), &"cookie".into())
                .ok()
                .and_then(|c| c.as_string())
                .map(|c| Self::from_cookies(&c))
                .unwrap_or_default()
        }
    }
}

/// Every string the interface shows, in one language. `{n}`, `{t}`, `{who}`
/// and the like are filled in by [`fill`].
#[derive(Debug)]
#[allow(missing_docs)]
pub struct Texts {
    /// The dashboards' part, kept in their folder.
    pub dashboard: &'static crate::dashboard::DashboardTexts,
    pub team: &'static crate::team::TeamTexts,
    pub audit: &'static crate::audit::AuditTexts,
    pub duplicates: &'static crate::duplicates::DuplicatesTexts,
    pub review: &'static crate::review::ReviewTexts,
    pub pool: &'static crate::pool::PoolTexts,
    pub notifications: &'static crate::notifications::NotificationTexts,
    pub care: &'static crate::care::CareTexts,
    pub rules: &'static crate::rules::RulesTexts,
    pub quality: &'static crate::quality::QualityTexts,
    pub app_name: &'static str,
    pub customers_title: &'static str,
    pub new_customer: &'static str,
    /// The list's export: its button, each format, what it holds.
    pub export_title: &'static str,
    pub export_xlsx: &'static str,
    pub export_csv: &'static str,
    pub export_csv_gbk: &'static str,
    pub export_hint: &'static str,
    pub name_label: &'static str,
    pub name_placeholder: &'static str,
    pub save: &'static str,
    pub saving: &'static str,
    pub saved: &'static str,
    pub loading: &'static str,
    pub no_customers: &'static str,
    pub not_found: &'static str,
    pub back_home: &'static str,
    pub error_unavailable: &'static str,
    pub error_internal: &'static str,
    pub error_request: &'static str,
    pub sign_in_title: &'static str,
    pub username_label: &'static str,
    pub password_label: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub sign_out_pending: &'static str,
    pub sign_out_sync_first: &'static str,
    pub sign_out_discard: &'static str,
    pub account_title: &'static str,
    pub current_password_label: &'static str,
    pub new_password_label: &'static str,
    pub repeat_password_label: &'static str,
    pub passwords_differ: &'static str,
    pub change_password: &'static str,
    pub password_changed: &'static str,
    pub reset_password: &'static str,
    pub password_reset_done: &'static str,
    pub wrong_credentials: &'static str,
    pub username_format: &'static str,
    pub need_sign_in: &'static str,
    pub rejected: &'static str,
    pub users_title: &'static str,
    pub display_name_label: &'static str,
    pub role_label: &'static str,
    pub role_rep: &'static str,
    pub role_manager: &'static str,
    pub role_admin: &'static str,
    pub team_label: &'static str,
    pub enable: &'static str,
    pub disable: &'static str,
    pub error_signed_out: &'static str,
    pub error_forbidden: &'static str,
    pub error_bad_request: &'static str,
    pub error_exists: &'static str,
    pub error_too_many: &'static str,
    pub error_sequence: &'static str,
    pub nav_today: &'static str,
    pub nav_customers: &'static str,
    pub nav_new: &'static str,
    pub nav_sync: &'static str,
    pub online: &'static str,
    pub offline: &'static str,
    pub pending_n: &'static str,
    pub all_synced: &'static str,
    pub syncing: &'static str,
    pub synced_at: &'static str,
    pub never_synced: &'static str,
    pub conflicts_n: &'static str,
    pub refused_n: &'static str,
    pub first_pull: &'static str,
    pub just_now: &'static str,
    pub minutes_ago: &'static str,
    pub hours_ago: &'static str,
    pub days_ago: &'static str,
    pub today_title: &'static str,
    pub agenda_follow_up: &'static str,
    pub agenda_birthday: &'static str,
    pub agenda_festivals: &'static str,
    pub agenda_maintenance: &'static str,
    pub agenda_review: &'static str,
    pub agenda_complaint: &'static str,
    pub nothing_due: &'static str,
    pub days_open: &'static str,
    pub search_placeholder: &'static str,
    pub search_label: &'static str,
    pub filter_stage: &'static str,
    pub filter_category: &'static str,
    pub filter_tag: &'static str,
    pub filter_city: &'static str,
    pub all: &'static str,
    pub no_match: &'static str,
    pub last_contact: &'static str,
    pub never_contacted: &'static str,
    pub customer_count: &'static str,
    pub show_more: &'static str,
    pub pick_customer: &'static str,
    pub import_title: &'static str,
    pub import_help: &'static str,
    pub import_file: &'static str,
    pub import_rows: &'static str,
    /// The columns came from the last import of a file with these headers.
    pub import_saved_mapping: &'static str,
    pub import_encoding: &'static str,
    pub import_column: &'static str,
    pub import_ignore: &'static str,
    pub import_match: &'static str,
    pub import_name_city: &'static str,
    pub import_keeper: &'static str,
    pub import_keeper_me: &'static str,
    pub import_keeper_column: &'static str,
    pub import_keeper_user: &'static str,
    pub import_keeper_pool: &'static str,
    pub import_check: &'static str,
    pub import_check_title: &'static str,
    pub import_counts: &'static str,
    pub import_commit: &'static str,
    /// The rows in error as a file, to fix and import again.
    pub import_failed_rows: &'static str,
    pub import_done: &'static str,
    pub import_refused: &'static str,
    pub import_will_create: &'static str,
    pub import_will_update: &'static str,
    pub import_duplicate: &'static str,
    pub import_unchanged: &'static str,
    pub import_line: &'static str,
    pub import_recent: &'static str,
    pub import_recent_none: &'static str,
    pub import_recent_item: &'static str,
    pub import_undo: &'static str,
    pub import_undo_explain: &'static str,
    pub import_undo_confirm: &'static str,
    pub import_undo_cancel: &'static str,
    pub import_undoing: &'static str,
    pub import_undo_progress: &'static str,
    pub import_undone: &'static str,
    pub import_undone_kept: &'static str,
    pub import_undone_refused: &'static str,
    pub import_undone_unreached: &'static str,
    pub import_undo_stopped: &'static str,
    pub import_kept_archive: &'static str,
    pub import_nav: &'static str,
    pub import_running: &'static str,
    pub import_progress: &'static str,
    pub import_seconds: &'static str,
    pub import_minutes: &'static str,
    pub import_stop: &'static str,
    pub import_stopping: &'static str,
    pub import_stopped: &'static str,
    pub import_recent_running: &'static str,
    pub import_recent_stopped: &'static str,
    pub custom_fields_title: &'static str,
    pub custom_fields_help: &'static str,
    pub custom_fields_saved: &'static str,
    pub custom_add: &'static str,
    pub custom_label_zh: &'static str,
    pub custom_label_en: &'static str,
    pub custom_kind: &'static str,
    pub kind_text: &'static str,
    pub kind_number: &'static str,
    pub kind_date: &'static str,
    pub kind_choice: &'static str,
    pub kind_multi_choice: &'static str,
    pub custom_required: &'static str,
    pub custom_retired: &'static str,
    pub custom_retire: &'static str,
    pub custom_restore: &'static str,
    pub custom_choices: &'static str,
    pub custom_new_choices: &'static str,
    pub unsynced: &'static str,
    pub tab_basics: &'static str,
    pub tab_orders: &'static str,
    pub tab_interactions: &'static str,
    pub tab_preferences: &'static str,
    pub tab_feedback: &'static str,
    pub tab_history: &'static str,
    pub total_spent: &'static str,
    pub order_count: &'static str,
    pub avg_satisfaction: &'static str,
    pub quick_visit: &'static str,
    pub quick_call: &'static str,
    pub quick_order: &'static str,
    pub quick_follow_up: &'static str,
    pub edit: &'static str,
    pub cancel: &'static str,
    pub back: &'static str,
    pub not_cached: &'static str,
    pub masked_note: &'static str,
    pub visit_default: &'static str,
    pub call_default: &'static str,
    pub follow_up_default: &'static str,
    pub kind_label: &'static str,
    pub kind_person: &'static str,
    pub kind_company: &'static str,
    pub phone_label: &'static str,
    pub phones_label: &'static str,
    pub email_label: &'static str,
    pub stage_label: &'static str,
    pub category_label: &'static str,
    pub city_label: &'static str,
    pub district_label: &'static str,
    pub address_label: &'static str,
    pub birthday_label: &'static str,
    pub severity_label: &'static str,
    pub complaint_deadline: &'static str,
    pub birthday_lunar_label: &'static str,
    pub lunar_mark: &'static str,
    pub region_label: &'static str,
    pub next_review_label: &'static str,
    pub owner_label: &'static str,
    pub occupation_label: &'static str,
    pub id_number_label: &'static str,
    pub gender_label: &'static str,
    pub currency_label: &'static str,
    pub item_contact: &'static str,
    pub item_order: &'static str,
    pub item_interaction: &'static str,
    pub item_feedback: &'static str,
    pub item_task: &'static str,
    pub change_created: &'static str,
    pub change_deleted: &'static str,
    pub change_restored: &'static str,
    pub change_merged: &'static str,
    pub keep_tag: &'static str,
    pub drop_tag: &'static str,
    pub preferences_title: &'static str,
    pub address_whole_label: &'static str,
    pub company_size_label: &'static str,
    pub source_label: &'static str,
    pub province_label: &'static str,
    pub consent_label: &'static str,
    pub id_fill_hint: &'static str,
    pub id_fill: &'static str,
    pub remove_item: &'static str,
    pub remove_confirm: &'static str,
    pub colours_label: &'static str,
    pub preference_notes_label: &'static str,
    pub preference_notes_hint: &'static str,
    pub list_hint: &'static str,
    pub marketing_label: &'static str,
    pub consent_how_label: &'static str,
    pub consent_at_label: &'static str,
    pub consent_how_hint: &'static str,
    pub edit_preferences: &'static str,
    pub edit_consent: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub industry_label: &'static str,
    pub product_label: &'static str,
    pub quantity_label: &'static str,
    pub amount_label: &'static str,
    pub date_label: &'static str,
    pub channel_label: &'static str,
    pub ends_on_label: &'static str,
    pub summary_label: &'static str,
    pub satisfaction_label: &'static str,
    pub next_follow_up_label: &'static str,
    pub content_label: &'static str,
    pub status_label: &'static str,
    pub resolution_label: &'static str,
    pub due_label: &'static str,
    pub note_label: &'static str,
    pub contact_name_label: &'static str,
    pub contact_role_label: &'static str,
    pub tag_label: &'static str,
    pub tags_title: &'static str,
    pub add_tag: &'static str,
    pub remove: &'static str,
    pub brands_label: &'static str,
    pub contact_channel_label: &'static str,
    pub contact_time_label: &'static str,
    pub contacts_title: &'static str,
    pub tasks_title: &'static str,
    pub add_contact: &'static str,
    pub add_feedback: &'static str,
    pub add_task: &'static str,
    pub add_interaction: &'static str,
    pub mark_done: &'static str,
    pub none_yet: &'static str,
    pub not_set: &'static str,
    pub unchanged: &'static str,
    pub possible_duplicates: &'static str,
    pub search_archive: &'static str,
    pub search_archive_found: &'static str,
    pub search_archive_offline: &'static str,
    pub hand_over_selected: &'static str,
    pub duplicates_elsewhere: &'static str,
    pub dup_kept_by: &'static str,
    pub dup_same_phone: &'static str,
    pub dup_same_email: &'static str,
    pub dup_same_name: &'static str,
    pub dup_similar_name: &'static str,
    pub conflict_title: &'static str,
    pub conflict_help: &'static str,
    pub keep_this: &'static str,
    pub other_conflict: &'static str,
    pub sync_title: &'static str,
    pub sync_now: &'static str,
    pub refused_title: &'static str,
    pub refused_none: &'static str,
    pub resend: &'static str,
    pub discard: &'static str,
    pub storage_title: &'static str,
    pub cached_records: &'static str,
    pub per_record: &'static str,
    pub storage_used: &'static str,
    pub outbox_used: &'static str,
    pub free_space: &'static str,
    pub language: &'static str,
    pub storage_full: &'static str,
    pub server_problem: &'static str,
    pub offline_note: &'static str,
    pub pending_list: &'static str,
    pub history_created: &'static str,
    pub history_field: &'static str,
    pub history_item: &'static str,
    pub history_item_edited: &'static str,
    pub history_item_removed: &'static str,
    pub shared_with_label: &'static str,
    pub shared_with_hint: &'static str,
    pub history_local: &'static str,
}

const ZH_CN: Texts = Texts {
    dashboard: &crate::dashboard::texts::ZH,
    team: &crate::team::texts::ZH,
    audit: &crate::audit::texts::ZH,
    duplicates: &crate::duplicates::texts::ZH,
    review: &crate::review::texts::ZH,
    notifications: &crate::notifications::texts::ZH,
    care: &crate::care::texts::ZH,
    rules: &crate::rules::texts::ZH,
    pool: &crate::pool::texts::ZH,
    quality: &crate::quality::texts::ZH,
    app_name: "客户档案",
    customers_title: "客户",
    new_customer: "新建客户",
    export_title: "导出",
    export_xlsx: "Excel 表格（.xlsx）",
    export_csv: "CSV（UTF-8）",
    export_csv_gbk: "CSV（GBK，旧版 Excel）",
    export_hint: "导出当前筛选条件选中的、你有权查看的全部客户；敏感信息按你的查看权限遮挡。导出会记入审计日志。",
    name_label: "客户名称",
    name_placeholder: "姓名或公司名称",
    save: "保存",
    saving: "正在保存…",
    saved: "已保存",
    loading: "正在加载…",
    no_customers: "还没有客户。点“新建”添加第一位。",
    not_found: "页面不存在",
    back_home: "返回首页",
    error_unavailable: "数据库暂时不可用，请稍后重试。",
    error_internal: "服务器出错了，请稍后重试。",
    error_request: "无法连接服务器，请检查网络后重试。",
    sign_in_title: "登录",
    username_label: "用户名",
    password_label: "密码",
    sign_in: "登录",
    sign_out: "退出登录",
    sign_out_pending: "还有 {n} 条修改没有同步。退出会把这台设备上的数据全部删除，这些修改也会丢失。",
    sign_out_sync_first: "先同步",
    sign_out_discard: "放弃修改并退出",
    account_title: "我的账户",
    current_password_label: "当前密码",
    new_password_label: "新密码",
    repeat_password_label: "再次输入新密码",
    passwords_differ: "两次输入的新密码不一致。",
    change_password: "修改密码",
    password_changed: "密码已修改。你在其他设备上的登录已结束。",
    reset_password: "重设密码",
    password_reset_done: "密码已重设，该用户的所有登录已结束。",
    wrong_credentials: "用户名或密码不正确。",
    username_format: "用户名由小写字母、数字、点、下划线或连字符组成，最多 32 个字符。",
    need_sign_in: "请先登录。",
    rejected: "服务器拒绝了这项修改",
    users_title: "用户",
    display_name_label: "显示名称",
    role_label: "角色",
    role_rep: "销售代表",
    role_manager: "经理",
    role_admin: "管理员",
    team_label: "团队",
    enable: "启用",
    disable: "停用",
    error_signed_out: "登录已过期，请重新登录。未同步的修改不会丢失。",
    error_forbidden: "你没有权限进行此操作。",
    error_bad_request: "请求无效。",
    error_exists: "该名称已被使用。",
    error_too_many: "尝试次数过多，请稍后再试。",
    error_sequence: "同步顺序有误，将自动重试。",
    nav_today: "今天",
    nav_customers: "客户",
    nav_new: "新建",
    nav_sync: "同步",
    online: "在线",
    offline: "离线",
    pending_n: "{n} 条待同步",
    all_synced: "已全部同步",
    syncing: "正在同步…",
    synced_at: "上次同步 {t}",
    never_synced: "尚未同步",
    conflicts_n: "{n} 个冲突",
    refused_n: "{n} 条被拒绝",
    first_pull: "正在下载你的客户档案…",
    just_now: "刚刚",
    minutes_ago: "{n} 分钟前",
    hours_ago: "{n} 小时前",
    days_ago: "{n} 天前",
    today_title: "今天",
    agenda_follow_up: "跟进到期",
    agenda_birthday: "生日",
    agenda_festivals: "近期节日",
    agenda_maintenance: "保养到期",
    agenda_review: "档案待复核",
    agenda_complaint: "未结投诉",
    nothing_due: "今天没有待办事项。",
    days_open: "已 {n} 天",
    search_placeholder: "搜索姓名、拼音首字母、电话或公司",
    search_label: "搜索客户",
    filter_stage: "阶段",
    filter_category: "分类",
    filter_tag: "标签",
    filter_city: "城市",
    all: "全部",
    no_match: "没有符合条件的客户。",
    last_contact: "最近联系",
    never_contacted: "未联系",
    customer_count: "共 {n} 位",
    show_more: "显示更多（还有 {n} 位）",
    pick_customer: "在左侧选择一位客户。",
    import_title: "导入客户",
    import_help: "从 Excel 表格或 CSV 文件导入客户：先预览并核对每列的含义，再检查每一行（不会写入任何内容），确认后再导入。",
    import_file: "文件",
    import_rows: "共 {n} 行",
    import_saved_mapping: "已套用上次导入同样表头文件时的列对应（{user}，{date}），可以再改。",
    import_encoding: "文字编码",
    import_column: "列",
    import_ignore: "不导入",
    import_match: "按以下内容识别已有客户",
    import_name_city: "名称 + 城市",
    import_keeper: "新客户的建档人",
    import_keeper_me: "我自己",
    import_keeper_column: "按文件中的负责人列",
    import_keeper_user: "指定业务员",
    import_keeper_pool: "公海",
    import_check: "检查",
    import_check_title: "检查结果（尚未写入）",
    import_counts: "新建 {create} 位，更新 {update} 位，跳过 {skip} 行，有错误 {error} 行。",
    import_commit: "导入 {n} 位客户",
    import_failed_rows: "下载未导入的 {n} 行（附原因）",
    import_done: "已导入：新建 {create} 位，更新 {update} 位；跳过 {skip} 行，有错误未导入 {error} 行。",
    import_refused: "有 {n} 项修改在导入时被拒绝（档案在检查后又有变动）。请重新检查。",
    import_will_create: "将新建",
    import_will_update: "将更新：{fields}",
    import_duplicate: "与第 {line} 行重复，跳过",
    import_unchanged: "与已有档案相同，跳过",
    import_line: "第 {n} 行",
    import_recent: "最近的导入",
    import_recent_none: "还没有导入过。",
    import_recent_item: "{file} · {when} · {user} · 新建 {create} 位，更新 {update} 位",
    import_undo: "撤销这次导入…",
    import_undo_explain: "撤销会删除这次导入新建、之后没人动过的客户，并把它更新过的字段改回原来的值。导入之后有人改过的内容会保留，并列在下面。",
    import_undo_confirm: "确认撤销",
    import_undo_cancel: "不撤销",
    import_undoing: "正在撤销…",
    import_undo_progress: "已完成 {done} / {total} 项",
    import_undone: "已撤销：删除 {removed} 位客户，恢复 {restored} 项。",
    import_undone_kept: "导入后有人改过，保留了 {n} 项：",
    import_undone_refused: "有 {n} 项撤销被拒绝（档案刚好又有变动）。",
    import_undone_unreached: "有 {n} 位客户没有撤销：导入之后已被删除或合并，或已转到你看不到完整档案的团队。",
    import_undo_stopped: "撤销没有做完：撤销人的账号已停用，只写入了 {done} / {total} 项。其余的可以由管理员再次撤销。",
    import_kept_archive: "整份档案",
    import_nav: "导入客户",
    import_running: "正在导入",
    import_progress: "已写入 {done} / {total} 项 · 每秒 {rate} 项 · 约剩 {left}",
    import_seconds: "{n} 秒",
    import_minutes: "{n} 分钟",
    import_stop: "停止导入",
    import_stopping: "正在停止…",
    import_stopped: "导入已停止：写入了 {done} / {total} 项。已写入的可以在下面撤销。",
    import_recent_running: "导入中，结束或停止后可以撤销。",
    import_recent_stopped: "中途停止：写入了 {done} / {total} 项。",
    custom_fields_title: "自定义字段",
    custom_fields_help: "为客户档案增加公司需要的字段。字段一经创建，类型不能再改；停用的字段和选项不再出现在表单里，已存的值照常保留。",
    custom_fields_saved: "已保存。各设备下次同步时会拿到新的字段。",
    custom_add: "添加字段",
    custom_label_zh: "名称（中文）",
    custom_label_en: "名称（英文）",
    custom_kind: "类型",
    kind_text: "文本",
    kind_number: "数字",
    kind_date: "日期",
    kind_choice: "单选",
    kind_multi_choice: "多选",
    custom_required: "必填",
    custom_retired: "已停用",
    custom_retire: "停用",
    custom_restore: "恢复",
    custom_choices: "选项",
    custom_new_choices: "新增选项（每行一个，可写成“中文 | English”）",
    unsynced: "未同步",
    tab_basics: "基本信息",
    tab_orders: "订单",
    tab_interactions: "互动",
    tab_preferences: "偏好与标签",
    tab_feedback: "反馈",
    tab_history: "历史",
    total_spent: "累计消费",
    order_count: "订单数",
    avg_satisfaction: "平均满意度",
    quick_visit: "记拜访",
    quick_call: "记电话",
    quick_order: "加订单",
    quick_follow_up: "加跟进",
    edit: "编辑",
    cancel: "取消",
    back: "返回",
    not_cached: "这位客户不在本机，联网后会自动下载。",
    masked_note: "部分敏感信息已对你隐藏。",
    visit_default: "上门拜访",
    call_default: "电话沟通",
    follow_up_default: "跟进客户",
    kind_label: "类型",
    kind_person: "个人",
    kind_company: "企业",
    phone_label: "手机号码",
    phones_label: "电话",
    email_label: "邮箱",
    stage_label: "阶段",
    category_label: "分类",
    city_label: "城市",
    district_label: "区县",
    address_label: "详细地址",
    birthday_label: "生日",
    severity_label: "严重程度",
    complaint_deadline: "{severity} · 处理期限 {date}",
    birthday_lunar_label: "按农历过生日",
    lunar_mark: "农历",
    region_label: "销售区域",
    next_review_label: "下次复核",
    owner_label: "建档人",
    occupation_label: "职业",
    id_number_label: "证件号码",
    gender_label: "性别",
    currency_label: "币种",
    item_contact: "联系人",
    item_order: "订单",
    item_interaction: "互动记录",
    item_feedback: "反馈",
    item_task: "提醒",
    change_created: "新建档案",
    change_deleted: "删除",
    change_restored: "恢复",
    change_merged: "合并",
    keep_tag: "保留标签",
    drop_tag: "去掉标签",
    preferences_title: "偏好",
    address_whole_label: "地址",
    company_size_label: "企业规模",
    source_label: "来源",
    province_label: "省份",
    consent_label: "营销授权",
    id_fill_hint: "证件号码显示：生日 {birthday}，性别 {gender}。",
    id_fill: "填入",
    remove_item: "删除",
    remove_confirm: "确认删除",
    colours_label: "喜欢的颜色",
    preference_notes_label: "其他偏好",
    preference_notes_hint: "每行一项，如：口味：少糖",
    list_hint: "用逗号或顿号分隔",
    marketing_label: "同意接收营销信息",
    consent_how_label: "授权方式",
    consent_at_label: "授权时间",
    consent_how_hint: "如：纸质签字、网页勾选",
    edit_preferences: "编辑偏好",
    edit_consent: "编辑授权",
    yes: "是",
    no: "否",
    industry_label: "行业",
    product_label: "产品",
    quantity_label: "数量",
    amount_label: "金额（元）",
    date_label: "日期",
    channel_label: "渠道",
    ends_on_label: "合同/服务到期",
    summary_label: "内容摘要",
    satisfaction_label: "满意度（1–5）",
    next_follow_up_label: "下次跟进",
    content_label: "内容",
    status_label: "状态",
    resolution_label: "处理结果",
    due_label: "到期日",
    note_label: "备注",
    contact_name_label: "联系人姓名",
    contact_role_label: "职务",
    tag_label: "标签",
    tags_title: "标签",
    add_tag: "添加标签",
    remove: "移除",
    brands_label: "喜欢的品牌",
    contact_channel_label: "偏好联系方式",
    contact_time_label: "方便联系的时间",
    contacts_title: "联系人",
    tasks_title: "提醒",
    add_contact: "添加联系人",
    add_feedback: "记录反馈",
    add_task: "添加提醒",
    add_interaction: "记录互动",
    mark_done: "完成",
    none_yet: "暂无。",
    not_set: "未填写",
    unchanged: "没有修改。",
    possible_duplicates: "可能重复的客户",
    search_archive: "全库搜索",
    search_archive_found: "全库中找到 {n} 个（最多列出 50 个）",
    search_archive_offline: "离线时只搜本机档案；联网后在全库中搜索。",
    hand_over_selected: "转交所选的 {n} 个客户",
    duplicates_elsewhere: "全库中可能重复的客户",
    dup_kept_by: "有一位客户{why}，由 {keeper} 建档",
    dup_same_phone: "电话相同",
    dup_same_email: "邮箱相同",
    dup_same_name: "名称相同",
    dup_similar_name: "名称相近",
    conflict_title: "有冲突需要处理",
    conflict_help: "同一项被不同的人同时修改了。选择要保留的值：",
    keep_this: "保留这个",
    other_conflict: "其他冲突：{s}",
    sync_title: "同步与存储",
    sync_now: "立即同步",
    refused_title: "被拒绝的修改",
    refused_none: "没有被拒绝的修改。",
    resend: "重新发送",
    discard: "放弃",
    storage_title: "本机存储",
    cached_records: "已缓存客户",
    per_record: "每位客户约占",
    storage_used: "客户缓存已用",
    outbox_used: "待同步队列",
    free_space: "释放空间（不影响未同步的修改）",
    language: "语言",
    storage_full: "本机存储已满，这项修改没有保存。请联网同步，或在“同步”页释放空间。之前的修改都还在。",
    server_problem: "服务器暂时无法同步（{code}），稍后会自动重试。",
    offline_note: "离线中：修改保存在本机，联网后自动同步。",
    pending_list: "待同步的修改",
    history_created: "{who} 创建了档案",
    history_field: "{who} 修改了{field}",
    history_item: "{who} 添加了{kind}",
    history_item_edited: "{who} 修改了{kind}",
    history_item_removed: "{who} 删除了{kind}",
    shared_with_label: "共享给同事",
    shared_with_hint: "同事的用户名，用逗号分隔",
    history_local: "本机修改，尚未同步",
};

const EN: Texts = Texts {
    dashboard: &crate::dashboard::texts::EN,
    team: &crate::team::texts::EN,
    audit: &crate::audit::texts::EN,
    duplicates: &crate::duplicates::texts::EN,
    review: &crate::review::texts::EN,
    notifications: &crate::notifications::texts::EN,
    care: &crate::care::texts::EN,
    rules: &crate::rules::texts::EN,
    pool: &crate::pool::texts::EN,
    quality: &crate::quality::texts::EN,
    app_name: "Customer Archive",
    customers_title: "Customers",
    new_customer: "New customer",
    export_title: "Export",
    export_xlsx: "Excel workbook (.xlsx)",
    export_csv: "CSV (UTF-8)",
    export_csv_gbk: "CSV (GBK, older Excel)",
    export_hint: "Exports every customer you may see that the current filters select; sensitive fields are masked as you see them. Exports are recorded in the audit log.",
    name_label: "Customer name",
    name_placeholder: "Person or company name",
    save: "Save",
    saving: "Saving…",
    saved: "Saved",
    loading: "Loading…",
    no_customers: "No customers yet. Tap New to add the first one.",
    not_found: "Page not found",
    back_home: "Back to the start page",
    error_unavailable: "The database is unavailable right now. Please try again shortly.",
    error_internal: "The server ran into an error. Please try again shortly.",
    error_request: "Cannot reach the server. Check the connection and try again.",
    sign_in_title: "Sign in",
    username_label: "User name",
    password_label: "Password",
    sign_in: "Sign in",
    sign_out: "Sign out",
    sign_out_pending: "{n} changes have not been synced. Signing out removes everything from this device, and these changes with it.",
    sign_out_sync_first: "Sync first",
    sign_out_discard: "Discard changes and sign out",
    account_title: "My account",
    current_password_label: "Current password",
    new_password_label: "New password",
    repeat_password_label: "New password again",
    passwords_differ: "The two new passwords differ.",
    change_password: "Change password",
    password_changed: "Password changed. You are signed out on your other devices.",
    reset_password: "Reset password",
    password_reset_done: "Password reset; every session of this user has ended.",
    wrong_credentials: "The user name or password is not right.",
    username_format: "A user name is up to 32 of the letters a-z, digits, '.', '_' and '-'.",
    need_sign_in: "Please sign in first.",
    rejected: "The server refused this change",
    users_title: "Users",
    display_name_label: "Display name",
    role_label: "Role",
    role_rep: "Sales rep",
    role_manager: "Manager",
    role_admin: "Admin",
    team_label: "Team",
    enable: "Enable",
    disable: "Disable",
    error_signed_out: "Your session has ended. Sign in again; nothing waiting to sync is lost.",
    error_forbidden: "You are not allowed to do this.",
    error_bad_request: "The request is not valid.",
    error_exists: "That name is already taken.",
    error_too_many: "Too many attempts. Please wait and try again.",
    error_sequence: "Changes arrived out of order; they will be sent again.",
    nav_today: "Today",
    nav_customers: "Customers",
    nav_new: "New",
    nav_sync: "Sync",
    online: "Online",
    offline: "Offline",
    pending_n: "{n} to sync",
    all_synced: "All synced",
    syncing: "Syncing…",
    synced_at: "Last synced {t}",
    never_synced: "Not synced yet",
    conflicts_n: "{n} conflicts",
    refused_n: "{n} refused",
    first_pull: "Downloading your customers…",
    just_now: "just now",
    minutes_ago: "{n} min ago",
    hours_ago: "{n} h ago",
    days_ago: "{n} days ago",
    today_title: "Today",
    agenda_follow_up: "Follow-up due",
    agenda_birthday: "Birthday",
    agenda_festivals: "Coming festivals",
    agenda_maintenance: "Maintenance due",
    agenda_review: "Record due for review",
    agenda_complaint: "Open complaint",
    nothing_due: "Nothing due today.",
    days_open: "open {n} days",
    search_placeholder: "Search name, pinyin initials, phone or company",
    search_label: "Search customers",
    filter_stage: "Stage",
    filter_category: "Category",
    filter_tag: "Tag",
    filter_city: "City",
    all: "All",
    no_match: "No customer matches.",
    last_contact: "Last contact",
    never_contacted: "No contact yet",
    customer_count: "{n} customers",
    show_more: "Show more ({n} left)",
    pick_customer: "Choose a customer on the left.",
    import_title: "Import customers",
    import_help: "Bring customers in from an Excel workbook or a CSV file: preview it and check what each column is, check every row (nothing is written), then import.",
    import_file: "File",
    import_rows: "{n} rows",
    import_saved_mapping: "Columns as last imported from a file with these headers ({user}, {date}); change them if needed.",
    import_encoding: "Text encoding",
    import_column: "Column",
    import_ignore: "Do not import",
    import_match: "Find existing customers by",
    import_name_city: "Name and city",
    import_keeper: "Keeper of new customers",
    import_keeper_me: "Me",
    import_keeper_column: "The keeper column of the file",
    import_keeper_user: "A rep",
    import_keeper_pool: "The public pool",
    import_check: "Check",
    import_check_title: "Check (nothing written yet)",
    import_counts: "{create} to create, {update} to update, {skip} skipped, {error} with errors.",
    import_commit: "Import {n} customers",
    import_failed_rows: "Download the {n} rows not imported (with reasons)",
    import_done: "Imported: {create} created, {update} updated; {skip} skipped, {error} not imported because of errors.",
    import_refused: "{n} changes were refused when imported (records changed after the check). Check again.",
    import_will_create: "will be created",
    import_will_update: "will be updated: {fields}",
    import_duplicate: "same as line {line}, skipped",
    import_unchanged: "same as the record, skipped",
    import_line: "Line {n}",
    import_recent: "Recent imports",
    import_recent_none: "Nothing imported yet.",
    import_recent_item: "{file} · {when} · {user} · {create} created, {update} updated",
    import_undo: "Undo this import…",
    import_undo_explain: "Undoing removes the customers this import created that nobody has touched since, and sets the fields it updated back to their earlier values. Whatever somebody changed after the import stays, and is listed below.",
    import_undo_confirm: "Undo it",
    import_undo_cancel: "Keep it",
    import_undoing: "Undoing…",
    import_undo_progress: "{done} of {total} done",
    import_undone: "Undone: {removed} customers removed, {restored} values restored.",
    import_undone_kept: "Changed by someone after the import, so kept ({n}):",
    import_undone_refused: "{n} of the undo's changes were refused (the records had just changed).",
    import_undone_unreached: "{n} customers were left as they are: deleted or merged since the import, or moved to a team whose records you do not see in full.",
    import_undo_stopped: "The undo did not finish: the account that ran it was disabled after {done} of {total} changes. An admin can undo the rest.",
    import_kept_archive: "the whole record",
    import_nav: "Import customers",
    import_running: "Importing",
    import_progress: "{done} of {total} changes written · {rate} a second · about {left} left",
    import_seconds: "{n} s",
    import_minutes: "{n} min",
    import_stop: "Stop the import",
    import_stopping: "Stopping…",
    import_stopped: "The import was stopped after {done} of {total} changes; what was written can be undone below.",
    import_recent_running: "Importing; it can be undone once over or stopped.",
    import_recent_stopped: "Stopped halfway: {done} of {total} changes written.",
    custom_fields_title: "Custom fields",
    custom_fields_help: "Add the fields your company needs to every customer record. A field's kind cannot change once it exists; a retired field or choice leaves the forms, and the values already stored stay.",
    custom_fields_saved: "Saved. Devices get the new fields at their next sync.",
    custom_add: "Add a field",
    custom_label_zh: "Label (Chinese)",
    custom_label_en: "Label (English)",
    custom_kind: "Kind",
    kind_text: "Text",
    kind_number: "Number",
    kind_date: "Date",
    kind_choice: "Single choice",
    kind_multi_choice: "Multiple choice",
    custom_required: "Required",
    custom_retired: "Retired",
    custom_retire: "Retire",
    custom_restore: "Restore",
    custom_choices: "Choices",
    custom_new_choices: "New choices (one per line, \"Chinese | English\" if you like)",
    unsynced: "Not synced",
    tab_basics: "Basics",
    tab_orders: "Orders",
    tab_interactions: "Interactions",
    tab_preferences: "Preferences & tags",
    tab_feedback: "Feedback",
    tab_history: "History",
    total_spent: "Total spent",
    order_count: "Orders",
    avg_satisfaction: "Avg. satisfaction",
    quick_visit: "Log visit",
    quick_call: "Log call",
    quick_order: "Add order",
    quick_follow_up: "Add follow-up",
    edit: "Edit",
    cancel: "Cancel",
    back: "Back",
    not_cached: "This customer is not on this device yet; it downloads when online.",
    masked_note: "Some sensitive details are hidden from you.",
    visit_default: "Visited on site",
    call_default: "Phone call",
    follow_up_default: "Follow up",
    kind_label: "Type",
    kind_person: "Person",
    kind_company: "Company",
    phone_label: "Mobile number",
    phones_label: "Phones",
    email_label: "Email",
    stage_label: "Stage",
    category_label: "Category",
    city_label: "City",
    district_label: "District",
    address_label: "Street address",
    birthday_label: "Birthday",
    severity_label: "Severity",
    complaint_deadline: "{severity} · due by {date}",
    birthday_lunar_label: "Birthday kept by the lunar calendar",
    lunar_mark: "lunar",
    region_label: "Sales region",
    next_review_label: "Next review",
    owner_label: "Record keeper",
    occupation_label: "Occupation",
    id_number_label: "ID number",
    gender_label: "Gender",
    currency_label: "Currency",
    item_contact: "a contact",
    item_order: "an order",
    item_interaction: "an interaction",
    item_feedback: "feedback",
    item_task: "a reminder",
    change_created: "new record",
    change_deleted: "delete",
    change_restored: "restore",
    change_merged: "merge",
    keep_tag: "Keep the tag",
    drop_tag: "Drop the tag",
    preferences_title: "Preferences",
    address_whole_label: "Address",
    company_size_label: "Company size",
    source_label: "Source",
    province_label: "Province",
    consent_label: "Marketing consent",
    id_fill_hint: "The ID number says: born {birthday}, {gender}.",
    id_fill: "Fill in",
    remove_item: "Delete",
    remove_confirm: "Confirm delete",
    colours_label: "Favourite colours",
    preference_notes_label: "Other preferences",
    preference_notes_hint: "One per line, e.g. taste: less sugar",
    list_hint: "Separate with commas",
    marketing_label: "Agrees to marketing messages",
    consent_how_label: "How consent was given",
    consent_at_label: "Consent recorded",
    consent_how_hint: "e.g. signed form, web checkbox",
    edit_preferences: "Edit preferences",
    edit_consent: "Edit consent",
    yes: "Yes",
    no: "No",
    industry_label: "Industry",
    product_label: "Product",
    quantity_label: "Quantity",
    amount_label: "Amount (CNY)",
    date_label: "Date",
    channel_label: "Channel",
    ends_on_label: "Contract/service ends",
    summary_label: "Summary",
    satisfaction_label: "Satisfaction (1–5)",
    next_follow_up_label: "Next follow-up",
    content_label: "Content",
    status_label: "Status",
    resolution_label: "Resolution",
    due_label: "Due",
    note_label: "Note",
    contact_name_label: "Contact name",
    contact_role_label: "Role",
    tag_label: "Tag",
    tags_title: "Tags",
    add_tag: "Add tag",
    remove: "Remove",
    brands_label: "Favourite brands",
    contact_channel_label: "Preferred channel",
    contact_time_label: "Best time to call",
    contacts_title: "Contacts",
    tasks_title: "Reminders",
    add_contact: "Add contact",
    add_feedback: "Record feedback",
    add_task: "Add reminder",
    add_interaction: "Log interaction",
    mark_done: "Done",
    none_yet: "None yet.",
    not_set: "Not set",
    unchanged: "Nothing changed.",
    possible_duplicates: "Possible duplicates",
    search_archive: "Whole archive",
    search_archive_found: "{n} found in the whole archive (50 at most are listed)",
    search_archive_offline: "Offline, only this device's records are searched; online, the whole archive too.",
    hand_over_selected: "Hand over the {n} selected",
    duplicates_elsewhere: "Possible duplicates elsewhere in the archive",
    dup_kept_by: "{why} as a customer kept by {keeper}",
    dup_same_phone: "Same phone",
    dup_same_email: "Same email",
    dup_same_name: "Same name",
    dup_similar_name: "Similar name",
    conflict_title: "Conflicts to settle",
    conflict_help: "This was changed by different people at once. Choose the value to keep:",
    keep_this: "Keep this",
    other_conflict: "Other conflict: {s}",
    sync_title: "Sync and storage",
    sync_now: "Sync now",
    refused_title: "Refused changes",
    refused_none: "No refused changes.",
    resend: "Send again",
    discard: "Discard",
    storage_title: "Storage on this device",
    cached_records: "Cached customers",
    per_record: "Per customer",
    storage_used: "Customer cache used",
    outbox_used: "Outbox",
    free_space: "Free space (unsynced changes stay)",
    language: "Language",
    storage_full: "Storage on this device is full, so this change was not saved. Sync, or free space on the Sync page. Earlier changes are safe.",
    server_problem: "The server cannot sync right now ({code}); it will retry.",
    offline_note: "Offline: changes are kept here and sync when you are back online.",
    pending_list: "Waiting to sync",
    history_created: "{who} created the record",
    history_field: "{who} changed {field}",
    history_item: "{who} added {kind}",
    history_item_edited: "{who} changed {kind}",
    history_item_removed: "{who} removed {kind}",
    shared_with_label: "Shared with colleagues",
    shared_with_hint: "Colleagues' user names, separated by commas",
    history_local: "Changed here, not yet synced",
};

/// The texts for `locale`.
pub fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::ZhCn => &ZH_CN,
        Locale::En => &EN,
    }
}

/// The texts for the locale in context (zh-CN when none is set).
pub fn use_texts() -> &'static Texts {
    texts(use_locale())
}

/// The locale in context.
pub fn use_locale() -> Locale {
    use_context::<Locale>().unwrap_or_default()
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_owned(), |out, (name, value)| out.replace(&format!("{{{name}}}"), value))
}

/// What a role is called.
pub fn role_name(locale: Locale, role: domain::policy::Role) -> &'static str {
    use domain::policy::Role;
    let t = texts(locale);
    match role {
        Role::Rep => t.role_rep,
        Role::Manager => t.role_manager,
        Role::Admin => t.role_admin,
    }
}

/// What a field is called, for messages about it.
fn field_label(locale: Locale, field: &str) -> &'static str {
    let t = texts(locale);
    match field.rsplit('.').next().unwrap_or(field) {
        "name" => t.name_label,
        "phone" | "phones" => t.phones_label,
        "email" | "emails" => t.email_label,
        "birthday" => t.birthday_label,
        "amount" => t.amount_label,
        "quantity" => t.quantity_label,
        "product" => t.product_label,
        "content" => t.content_label,
        "summary" => t.summary_label,
        "satisfaction" => t.satisfaction_label,
        "tag" => t.tag_label,
        "role" => t.contact_role_label,
        "channel" => t.channel_label,
        "ends_on" => t.ends_on_label,
        "pool" => t.pool.new_pool_name,
        "note" => t.note_label,
        "resolution" => t.resolution_label,
        "date" => t.date_label,
        "due" => t.due_label,
        "region" => t.region_label,
        "occupation" => t.occupation_label,
        "id_number" => t.id_number_label,
        "industry" => t.industry_label,
        "address" => t.address_label,
        "preferences" => t.tab_preferences,
        "password" => t.password_label,
        "current_password" => t.current_password_label,
        "username" => t.username_label,
        "display_name" => t.display_name_label,
        "team" => t.team_label,
        "status" => t.status_label,
        "tags" => t.tags_title,
        "shared_with" => t.shared_with_label,
        "how" => t.consent_how_label,
        "contact_time" => t.contact_time_label,
        "currency" => t.currency_label,
        "label" => t.custom_label_zh,
        "label_en" => t.custom_label_en,
        "kind" => t.custom_kind,
        "choices" => t.custom_choices,
        "fields" | "custom" | "key" => t.custom_fields_title,
        "number" => t.kind_number,
        "gender" => t.gender_label,
        "category" => t.category_label,
        "stage" => t.stage_label,
        "keeper" => t.owner_label,
        "reason" => t.team.reason_label,
        "subject" => t.care.subject,
        "body" => t.care.body,
        "quiet_from" => t.care.quiet_from,
        "quiet_until" => t.care.quiet_until,
        "monthly_cap" => t.care.monthly_cap,
        "festivals" => t.care.festival_title,
        "service_intervals" => t.care.service_title,
        "trigger" => t.rules.trigger,
        "conditions" => t.rules.conditions,
        "actions" => t.rules.actions,
        "province" => t.province_label,
        "city" => t.city_label,
        "district" => t.district_label,
        "file" => t.import_file,
        "row" => t.import_column,
        "import" => t.import_title,
        _ => "",
    }
}

thread_local! {
    /// The custom field definitions the device last pulled, so messages
    /// about a custom field (`custom.<key>`) name it as the admin labelled it.
    static CUSTOM_FIELDS: std::cell::RefCell<domain::custom_field::CustomFields> = Default::default();
}

/// Makes `definitions` the ones messages name custom fields by.
pub fn know_custom_fields(definitions: &domain::custom_field::CustomFields) {
    CUSTOM_FIELDS.with_borrow_mut(|known| {
        if known.version != definitions.version {
            *known = definitions.clone();
        }
    });
}

/// What a custom field is called: its label, or a generic name for one
/// this device has not heard of.
fn custom_field_label(locale: Locale, key: &str) -> String {
    CUSTOM_FIELDS.with_borrow(|known| match known.get(key) {
        Some(field) => field.label(locale == Locale::En).to_owned(),
        None => texts(locale).custom_fields_title.to_owned(),
    })
}

/// A custom field's value as people read it (`subject` is `custom:<key>`):
/// by the definitions this device knows, else as stored.
pub fn custom_value_text(locale: Locale, subject: &str, value: &domain::custom_field::CustomValue) -> String {
    let key = subject.strip_prefix("custom:").unwrap_or(subject);
    CUSTOM_FIELDS.with_borrow(|known| match known.get(key) {
        Some(field) => field.show(value, locale == Locale::En),
        None => value.text(),
    })
}

/// What a changed subject is called: a field (`phones`), a custom field
/// (`custom:plate`, by its label) or a tag (`tag:VIP`).
pub fn subject_label(locale: Locale, subject: &str) -> String {
    if let Some(key) = subject.strip_prefix("custom:") {
        return custom_field_label(locale, key);
    }
    if let Some(tag) = subject.strip_prefix("tag:") {
        return format!("# {tag}");
    }
    match field_label(locale, subject) {
        "" => subject.to_owned(),
        label => label.to_owned(),
    }
}

/// A person-readable message for a field error, by its stable code.
pub fn field_error_message(locale: Locale, error: &FieldError) -> String {
    let limit = error.limit.unwrap_or_default().to_string();
    let label = match error.field.strip_prefix("custom.") {
        Some(key) => custom_field_label(locale, key),
        None => field_label(locale, &error.field).to_owned(),
    };
    let label = label.as_str();
    let reason = error.code.rsplit('.').next().unwrap_or_default();
    let zh = locale == Locale::ZhCn;
    let template = match (reason, zh) {
        ("undone", true) => "这次导入已经撤销过了。",
        ("undone", false) => "This import was undone already.",
        ("running", true) => "这次导入还在进行，结束或停止后才能撤销。",
        ("running", false) => "This import is still running: undo it once it is over or stopped.",
        ("daily_cap", true) => "今天的认领次数已用完（每天 {limit} 个），明天再来。",
        ("daily_cap", false) => "You have used today's claims ({limit} a day); try again tomorrow.",
        ("reserved", true) => "{label}不能以 * 开头（* 开头的名字留给管理员新建的公海）。",
        ("reserved", false) => {
            "{label}: cannot start with * (names starting with * are pools an admin added)."
        }
        ("no_reps", true) => "{label}里没有可以分配的销售。",
        ("no_reps", false) => "{label}: nobody in it can take customers.",
        ("over_hold_limit", true) => {
            "接手人名下的客户已达上限（{limit} 个）。确需分配，请勾选“超出上限”并写明原因。"
        }
        ("over_hold_limit", false) => {
            "The new keeper is at the hold limit ({limit}). To assign anyway, tick “past the limit” and give a reason."
        }
        ("hold_limit", true) => "你名下的客户已达上限（{limit} 个），先退回一些再认领。",
        ("hold_limit", false) => "You keep as many customers as allowed ({limit}); release some first.",
        ("cooldown", true) => "你不久前退回或失去了这位客户，还要等 {limit} 天才能再认领。",
        ("cooldown", false) => "You released or lost this customer recently; wait {limit} more days.",
        ("required", true) => "请填写{label}。",
        ("required", false) => "{label}: required.",
        ("too_long", true) => "{label}最多 {limit} 个字。",
        ("too_long", false) => "{label}: at most {limit} characters.",
        ("too_short", true) => "{label}至少 {limit} 个字符。",
        ("too_short", false) => "{label}: at least {limit} characters.",
        ("wrong", true) => "{label}不正确。",
        ("wrong", false) => "{label}: not right.",
        ("invalid" | "format", true) => "{label}格式不正确。",
        ("invalid" | "format", false) => "{label}: not in a valid format.",
        ("length", true) => "{label}应为 {limit} 位。",
        ("length", false) => "{label}: must have {limit} characters.",
        ("check_digit", true) => "{label}的校验位对不上，有一位数字输错了，请逐位核对。",
        ("check_digit", false) => "{label}: the check digit does not match, so a digit is mistyped.",
        ("check_character", true) => "{label}的校验码对不上，有一位输错了，请逐位核对。",
        ("check_character", false) => {
            "{label}: the check character does not match, so a character is mistyped."
        }
        ("birth_date", true) => "{label}里的出生日期不存在或晚于今天。",
        ("birth_date", false) => "{label}: the date of birth in it does not exist or is in the future.",
        ("before_start", true) => "{label}不能早于下单日期。",
        ("before_start", false) => "{label}: cannot be before the order date.",
        ("in_future", true) => "{label}不能晚于今天。",
        ("in_future", false) => "{label}: cannot be in the future.",
        ("negative", true) => "{label}不能为负数。",
        ("negative", false) => "{label}: cannot be negative.",
        ("not_positive", true) => "{label}至少为 1。",
        ("not_positive", false) => "{label}: must be at least 1.",
        ("out_of_range", true) => "{label}应在 1 到 {limit} 之间。",
        ("out_of_range", false) => "{label}: must be from 1 to {limit}.",
        ("too_large", true) => "{label}超出了允许的最大值。",
        ("too_large", false) => "{label}: larger than allowed.",
        ("too_many", true) => "{label}最多 {limit} 个。",
        ("too_many", false) => "{label}: at most {limit}.",
        ("unknown", true) => "{label}不在可选范围内。",
        ("unknown", false) => "{label}: not one of the choices.",
        ("excel_number", true) => {
            "{label}被表格软件改成了科学计数法（如 1.1E+17），后几位已经丢失。请把这一列设为文本格式后重新导出。"
        }
        ("excel_number", false) => {
            "{label}: the spreadsheet turned it into scientific notation (like 1.1E+17) and its last digits are lost. Format the column as text and export again."
        }
        ("converted", true) => "{label}由 Excel 的日期序号换算而来，请核对。",
        ("converted", false) => "{label}: read from an Excel date number; check it.",
        ("empty", true) => "{label}是空的。",
        ("empty", false) => "{label}: empty.",
        ("too_big", true) => "{label}超过 {limit} MB，请拆成几个文件分别导入。",
        ("too_big", false) => "{label}: larger than {limit} MB; split it into several files.",
        ("expired", true) => "{label}已不在服务器上（上传超过一天），请重新选择文件。",
        ("expired", false) => {
            "{label}: no longer kept on the server (uploaded over a day ago); pick it again."
        }
        ("retired", true) => "{label}已停用或不存在，请同步后再填写。",
        ("retired", false) => "{label}: retired or not defined; sync and fill it in again.",
        ("same", true) => "{label}：移出和接收的是同一位。",
        ("same", false) => "{label}: the same person gives and receives.",
        ("taken", true) => "{label}重复了。",
        ("taken", false) => "{label}: used twice.",
        ("removed", true) => "{label}不能删除，只能停用，已存的值才不会丢失。",
        ("removed", false) => "{label}: cannot be deleted, only retired, so no stored value is lost.",
        ("changed", true) => "{label}在字段创建后不能更改。",
        ("changed", false) => "{label}: cannot change once the field exists.",
        // A feedback status that cannot follow the current one (`closed_to_open`).
        (transition, true) if transition.contains("_to_") => "{label}不能从当前状态改成这个状态。",
        (transition, false) if transition.contains("_to_") => {
            "{label}: cannot change from its current state to this one."
        }
        (_, true) => "此项无效（{code}）。",
        (_, false) => "This value is not valid ({code}).",
    };
    fill(template, &[("label", label), ("limit", &limit), ("code", &error.code)])
}

/// A person-readable message for any request error.
pub fn app_error_message(locale: Locale, error: &crate::error::AppError) -> String {
    use crate::error::AppError as E;
    let t = texts(locale);
    match error {
        E::Invalid { errors } => {
            errors.iter().map(|e| field_error_message(locale, e)).collect::<Vec<_>>().join(" ")
        }
        E::NotFound => t.not_found.into(),
        E::Unavailable => t.error_unavailable.into(),
        E::Internal => t.error_internal.into(),
        E::Request { .. } => t.error_request.into(),
        E::SignedOut => t.error_signed_out.into(),
        E::Forbidden { .. } => t.error_forbidden.into(),
        E::BadRequest { .. } => t.error_bad_request.into(),
        E::SequenceGap { .. } => t.error_sequence.into(),
        E::Exists => t.error_exists.into(),
        E::TooManyAttempts { .. } => t.error_too_many.into(),
    }
}

/// What a refused change means, for the person who made it. Field errors
/// speak for themselves; a code this version does not know is shown as is.
pub fn refusal_message(locale: Locale, code: &str, errors: &[FieldError]) -> String {
    if !errors.is_empty() {
        return errors.iter().map(|e| field_error_message(locale, e)).collect::<Vec<_>>().join(" ");
    }
    match Refusal::parse(code) {
        Some(refusal) => refusal_text(locale, refusal).to_owned(),
        None => format!("{} ({code})", texts(locale).rejected),
    }
}

/// The message for each refusal; the match is exhaustive, so a new code
/// cannot reach people without one.
pub fn refusal_text(locale: Locale, refusal: Refusal) -> &'static str {
    use Refusal::*;
    let (zh, en) = match refusal {
        Invalid => (
            "有内容不符合要求，请检查后再保存。",
            "Something does not meet the rules; check it and save again.",
        ),
        CustomerExists => ("这位客户已存在。", "This customer exists already."),
        CustomerMismatch => ("这项修改不属于这份档案。", "This change belongs to another record."),
        CustomerNotFound => {
            ("这位客户已不存在或你无法访问。", "This customer no longer exists or is out of your reach.")
        }
        EditsEmpty => ("没有要保存的修改。", "There is nothing to save."),
        Forbidden => (texts(Locale::ZhCn).error_forbidden, texts(Locale::En).error_forbidden),
        ForbiddenAuthor => {
            ("这项修改不是以你的身份做出的，请重新登录。", "This change was not made as you; sign in again.")
        }
        ForbiddenOwner => {
            ("只有建档人或其主管可以这样做。", "Only the record keeper or their manager may do this.")
        }
        ForbiddenSensitive => {
            ("你无权修改这份档案的敏感信息。", "You may not change this record's sensitive details.")
        }
        ItemNotFound => ("这条记录已不存在。", "This entry no longer exists."),
        MergeDeleted => ("要合并的档案已被删除。", "One of the records to merge has been deleted."),
        MergeNeedsBothArchives => (
            "合并需要两份档案都在手边，请联网后再试。",
            "A merge needs both records at hand; try again online.",
        ),
        MergeNotAMerge => ("这项修改不是合并。", "This change is not a merge."),
        MergeSameArchive => ("不能把档案合并到它自己。", "A record cannot be merged into itself."),
        OwnerUnknown => ("新的建档人不是在职的同事。", "The new record keeper is not an active colleague."),
        RefusedNotFound => {
            ("这项被拒绝的修改已经处理过了。", "This refused change has been dealt with already.")
        }
        ReplicaClosed => {
            ("本机存储未打开，请重新登录。", "This device's storage is not open; sign in again.")
        }
        SharedWithUnknown => {
            ("只能共享给在职的同事。", "An archive can be shared only with active colleagues.")
        }
        SyncUnknownOutcome => (
            "服务器没有这项修改的结果，请重新同步。",
            "The server lost the outcome of this change; sync again.",
        ),
        PoolClaimed => ("这位客户已被同事认领。", "A colleague claimed this customer first."),
        PoolRules => ("公海规则不允许这次认领。", "The pool's rules do not allow this claim."),
        PoolMoved => {
            ("这位客户已换了负责人，没有退回公海。", "This customer has another keeper now; it stayed.")
        }
        PoolNotDue => ("这位客户还没到退回公海的时候。", "This customer is not due to go back to the pool."),
    };
    if locale == Locale::ZhCn { zh } else { en }
}

/// Names of the choices in the archive, by locale.
pub trait Label {
    /// What people call this value.
    fn label(&self, locale: Locale) -> String;
}

macro_rules! labels {
    ($type:ty { $($variant:ident => $zh:literal, $en:literal;)* }) => {
        impl Label for $type {
            fn label(&self, locale: Locale) -> String {
                let (zh, en) = match self { $(<$type>::$variant => ($zh, $en),)* };
                if locale == Locale::ZhCn { zh.into() } else { en.into() }
            }
        }
    };
}

labels!(LifecycleStage {
    Lead => "线索", "Lead";
    New => "新客户", "New";
    Active => "活跃", "Active";
    Loyal => "忠诚", "Loyal";
    AtRisk => "流失风险", "At risk";
    Churned => "已流失", "Churned";
});

labels!(Segment {
    Champions => "重要价值", "Champions";
    Loyal => "忠诚客户", "Loyal";
    New => "新客户", "New";
    Promising => "潜力客户", "Promising";
    NeedAttention => "需要关注", "Need attention";
    AtRisk => "流失风险", "At risk";
    CannotLose => "重要挽留", "Cannot lose";
    Hibernating => "沉睡客户", "Hibernating";
    Lost => "已流失", "Lost";
});

labels!(InteractionKind {
    Call => "电话", "Call";
    Visit => "拜访", "Visit";
    Email => "邮件", "Email";
    Chat => "聊天", "Chat";
    Meeting => "会议", "Meeting";
    Consultation => "咨询", "Consultation";
    Complaint => "投诉", "Complaint";
    AfterSales => "售后", "After-sales";
});

labels!(FeedbackKind {
    Complaint => "投诉", "Complaint";
    Suggestion => "建议", "Suggestion";
    Praise => "表扬", "Praise";
});

labels!(FeedbackStatus {
    Open => "待处理", "Open";
    InProgress => "处理中", "In progress";
    Resolved => "已解决", "Resolved";
    Closed => "已关闭", "Closed";
});

labels!(TaskKind {
    FollowUp => "跟进", "Follow-up";
    Birthday => "生日", "Birthday";
    Maintenance => "保养", "Maintenance";
    Review => "复核", "Review";
});

/// Festivals: the Chinese names are the domain's (greetings use them too).
impl Label for Festival {
    fn label(&self, locale: Locale) -> String {
        match locale {
            Locale::ZhCn => self.name_zh(),
            Locale::En => match self {
                Festival::NewYearsDay => "New Year's Day",
                Festival::NewYearsEve => "Lunar New Year's Eve",
                Festival::SpringFestival => "Spring Festival",
                Festival::Lantern => "Lantern Festival",
                Festival::Qingming => "Qingming",
                Festival::LabourDay => "Labour Day",
                Festival::DragonBoat => "Dragon Boat Festival",
                Festival::Qixi => "Qixi",
                Festival::MidAutumn => "Mid-Autumn Festival",
                Festival::NationalDay => "National Day",
                Festival::DoubleNinth => "Double Ninth Festival",
            },
        }
        .to_owned()
    }
}

labels!(Severity {
    Low => "一般（7 天内处理）", "Low (handle within 7 days)";
    Medium => "较重（3 天内处理）", "Medium (handle within 3 days)";
    High => "严重（次日内处理）", "High (handle by the next day)";
});

labels!(PartyKind {
    Person => "个人", "Person";
    Company => "企业", "Company";
});

labels!(Gender {
    Male => "男", "Male";
    Female => "女", "Female";
    Other => "其他", "Other";
});

labels!(CompanySize {
    Micro => "20 人以下", "Under 20 people";
    Small => "20–99 人", "20–99 people";
    Medium => "100–999 人", "100–999 people";
    Large => "1000 人及以上", "1,000 people or more";
});

labels!(SourceChannel {
    RepEntry => "业务员录入", "Entered by a rep";
    WebForm => "网页登记", "Web form";
    Import => "导入", "Import";
    Referral => "老客户介绍", "Referral";
    Event => "展会活动", "Event or fair";
    ECommerce => "电商订单", "Online shop";
});

labels!(ContactChannel {
    Phone => "电话", "Phone";
    Sms => "短信", "Text message";
    Wechat => "微信", "WeChat";
    Email => "邮件", "Email";
    Visit => "上门", "Visit";
});

labels!(PhoneLabel {
    Mobile => "手机", "Mobile";
    Work => "工作", "Work";
    Home => "家庭", "Home";
});

impl Label for Category {
    fn label(&self, locale: Locale) -> String {
        let zh = locale == Locale::ZhCn;
        match self {
            Category::Vip => "VIP".into(),
            Category::Regular => (if zh { "普通" } else { "Regular" }).into(),
            Category::Churned => (if zh { "流失" } else { "Churned" }).into(),
            Category::Custom(name) => name.clone(),
        }
    }
}

/// "3 分钟前" / "3 min ago" for a moment `ms` before `now` (both ms).
pub fn ago(locale: Locale, ms: i64, now: i64) -> String {
    let t = texts(locale);
    let minutes = (now - ms).max(0) / 60_000;
    match minutes {
        0 => t.just_now.into(),
        1..=59 => fill(t.minutes_ago, &[("n", &minutes.to_string())]),
        60..=1439 => fill(t.hours_ago, &[("n", &(minutes / 60).to_string())]),
        _ => fill(t.days_ago, &[("n", &(minutes / 1440).to_string())]),
    }
}

/// An amount in minor units as people read it: `¥1,280.50`.
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let symbol = if currency == "CNY" { "¥".to_owned() } else { format!("{currency} ") };
    format!("{sign}{symbol}{grouped}.{:02}", abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_error_has_text_in_both_languages() {
        for code in ["required", "too_long"] {
            let error = FieldError::new("name", code).with_limit(120);
            for locale in [Locale::ZhCn, Locale::En] {
                let message = field_error_message(locale, &error);
                assert!(!message.contains(&error.code), "{locale:?} lacks text for {code}: {message}");
            }
        }
    }

    #[test]
    fn every_field_error_the_rules_produce_reads_as_a_sentence_with_the_fields_name() {
        // Each field and each reason that `FieldError::new` is given in domain, store, app and server.
        let fields = [
            "amount",
            "birthday",
            "channel",
            "consent.how",
            "currency",
            "current_password",
            "date",
            "display_name",
            "email",
            "emails",
            "id_number",
            "industry",
            "name",
            "occupation",
            "password",
            "phone",
            "phones",
            "preferences",
            "preferences.contact_time",
            "product",
            "ends_on",
            "pool",
            "quantity",
            "region",
            "role",
            "satisfaction",
            "shared_with",
            "status",
            "tag",
            "tags",
            "team",
            "username",
            "label",
            "label_en",
            "kind",
            "choices",
            "fields",
            "custom",
            "key",
            "number",
            "gender",
            "category",
            "stage",
            "keeper",
            "reason",
            "address.province",
            "file",
            "row",
            "import",
            "subject",
            "body",
            "quiet_from",
            "quiet_until",
            "monthly_cap",
            "festivals",
        ];
        let reasons = [
            "format",
            "in_future",
            "invalid",
            "length",
            "negative",
            "not_positive",
            "out_of_range",
            "required",
            "too_large",
            "too_long",
            "too_many",
            "too_short",
            "unknown",
            "wrong",
            "check_digit",
            "check_character",
            "birth_date",
            "before_start",
            "over_hold_limit",
            "no_reps",
            "reserved",
            "closed_to_open",
            "retired",
            "taken",
            "removed",
            "changed",
            "excel_number",
            "converted",
            "empty",
            "undone",
            "too_big",
            "expired",
        ];
        for locale in [Locale::ZhCn, Locale::En] {
            for field in fields {
                assert!(!field_label(locale, field).is_empty(), "{locale:?} has no name for {field}");
            }
            for reason in reasons {
                let error = FieldError::new("status", reason).with_limit(5);
                let message = field_error_message(locale, &error);
                assert!(!message.contains(&error.code), "{locale:?} lacks text for {reason}: {message}");
            }
        }
    }

    #[test]
    fn an_error_about_a_custom_field_names_it_as_the_admin_labelled_it() {
        use domain::custom_field::{CustomField, CustomFields, CustomKind};
        let field = CustomField {
            key: "plate".into(),
            zh: "车牌号".into(),
            en: "Plate number".into(),
            kind: CustomKind::Text,
            required: true,
            choices: Vec::new(),
            retired: false,
        };
        know_custom_fields(&CustomFields { version: 7, fields: vec![field] });
        let error = FieldError::new("custom.plate", "required");
        assert_eq!(field_error_message(Locale::ZhCn, &error), "请填写车牌号。");
        assert_eq!(field_error_message(Locale::En, &error), "Plate number: required.");
        let unknown = FieldError::new("custom.other", "unknown");
        assert!(field_error_message(Locale::ZhCn, &unknown).starts_with("自定义字段"));
        assert_eq!(subject_label(Locale::ZhCn, "custom:plate"), "车牌号");
        assert_eq!(subject_label(Locale::En, "tag:VIP"), "# VIP");
        assert_eq!(subject_label(Locale::ZhCn, "region"), "销售区域");
    }

    #[test]
    fn every_refusal_has_a_message_in_both_languages_and_no_raw_code() {
        for refusal in Refusal::ALL {
            let zh = refusal_message(Locale::ZhCn, refusal.code(), &[]);
            let en = refusal_message(Locale::En, refusal.code(), &[]);
            assert_ne!(zh, en, "{refusal:?}");
            for message in [&zh, &en] {
                assert!(!message.contains(refusal.code()), "{refusal:?}: {message}");
            }
        }
        assert!(refusal_message(Locale::En, "no.such_code", &[]).contains("no.such_code"));
    }

    #[test]
    fn every_id_number_error_is_explained_in_both_languages() {
        for code in ["format", "length", "check_digit", "check_character", "birth_date"] {
            let error = FieldError::new("id_number", code).with_limit(18);
            for locale in [Locale::ZhCn, Locale::En] {
                let message = field_error_message(locale, &error);
                assert!(!message.contains(&error.code), "{locale:?} lacks text for {code}: {message}");
                assert!(message.contains(texts(locale).id_number_label), "{message}");
            }
        }
    }

    #[test]
    fn the_length_limit_is_named_in_the_message() {
        let error = FieldError::new("name", "too_long").with_limit(120);
        assert!(field_error_message(Locale::ZhCn, &error).contains("120"));
    }

    #[test]
    fn a_bad_phone_number_is_explained_in_words() {
        let error = FieldError::new("phone", "invalid");
        assert_eq!(field_error_message(Locale::ZhCn, &error), "电话格式不正确。");
        assert_eq!(field_error_message(Locale::En, &error), "Phones: not in a valid format.");
    }

    #[test]
    fn the_language_cookie_picks_english_and_anything_else_is_chinese() {
        assert_eq!(Locale::from_cookies("a=1; crm_lang=en"), Locale::En);
        assert_eq!(Locale::from_cookies("crm_lang=fr"), Locale::ZhCn);
        assert_eq!(Locale::from_cookies(""), Locale::ZhCn);
    }

    #[test]
    fn money_is_grouped_by_thousands() {
        assert_eq!(money(128_050, "CNY"), "¥1,280.50");
        assert_eq!(money(99, "CNY"), "¥0.99");
        assert_eq!(money(123_456_789, "USD"), "USD 1,234,567.89");
    }
}
