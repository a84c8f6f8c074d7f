//! Interface text in zh-CN (the default) and English.

use domain::FieldError;
use leptos::prelude::*;

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
}

/// Every string the interface shows, in one language.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct Texts {
    pub app_name: &'static str,
    pub customers_title: &'static str,
    pub new_customer: &'static str,
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
    pub wrong_credentials: &'static str,
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
}

const ZH_CN: Texts = Texts {
    app_name: "客户档案",
    customers_title: "客户",
    new_customer: "新建客户",
    name_label: "客户名称",
    name_placeholder: "姓名或公司名称",
    save: "保存",
    saving: "正在保存…",
    saved: "已保存",
    loading: "正在加载…",
    no_customers: "还没有客户。在上方新建第一个。",
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
    wrong_credentials: "用户名或密码不正确。",
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
};

const EN: Texts = Texts {
    app_name: "Customer Archive",
    customers_title: "Customers",
    new_customer: "New customer",
    name_label: "Customer name",
    name_placeholder: "Person or company name",
    save: "Save",
    saving: "Saving…",
    saved: "Saved",
    loading: "Loading…",
    no_customers: "No customers yet. Create the first one above.",
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
    wrong_credentials: "The user name or password is not right.",
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
    texts(use_context::<Locale>().unwrap_or_default())
}

/// A person-readable message for a field error, by its stable code.
pub fn field_error_message(locale: Locale, error: &FieldError) -> String {
    let limit = error.limit.unwrap_or_default();
    match (locale, error.code.as_str()) {
        (Locale::ZhCn, "name.required") => "请填写客户名称。".into(),
        (Locale::ZhCn, "name.too_long") => format!("客户名称最多 {limit} 个字。"),
        (Locale::En, "name.required") => "Enter the customer's name.".into(),
        (Locale::En, "name.too_long") => format!("The name can be at most {limit} characters."),
        (Locale::ZhCn, _) => format!("此项无效（{}）。", error.code),
        (Locale::En, _) => format!("This value is not valid ({}).", error.code),
    }
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
    fn the_length_limit_is_named_in_the_message() {
        let error = FieldError::new("name", "too_long").with_limit(120);
        assert!(field_error_message(Locale::ZhCn, &error).contains("120"));
    }
}
