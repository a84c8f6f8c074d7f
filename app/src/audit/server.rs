//! The server side of the audit trail.

use domain::views::{AuditEntry, AuditFilter};

use super::describe::{action_label, describe_entry};
use crate::auth::signed_in;
use crate::error::{AppError, answer};
use crate::i18n::Locale;

pub(super) async fn list(customer: Option<String>, limit: Option<u32>) -> Result<Vec<AuditEntry>, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.list_audit(&user.viewer(), customer.as_deref(), limit.unwrap_or(200)).await)
}

pub(super) async fn search(filter: AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.search_audit(&user.viewer(), &filter).await)
}

pub(super) async fn export(filter: AuditFilter) -> Result<String, AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    let filter = AuditFilter { limit: store::MAX_AUDIT_ROWS, ..filter };
    let entries = answer(state.store.search_audit(&viewer, &filter).await)?;
    let detail = serde_json::json!({ "table": "audit", "rows": entries.len() });
    answer(state.store.record_audit(&viewer, "export", None, Some(detail.to_string())).await)?;
    // Exports are read in Chinese offices: the headers and words are zh-CN.
    let locale = Locale::ZhCn;
    let header: Vec<String> =
        ["时间", "用户", "客户", "操作", "内容", "原值", "新值", "原因", "版本"].map(String::from).into();
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let described = describe_entry(locale, e);
            vec![
                e.at.clone(),
                e.user.clone(),
                e.customer.clone().unwrap_or_default(),
                action_label(locale, &e.action),
                described.what,
                described.old,
                described.new,
                e.reason.clone().unwrap_or_default(),
                e.version.map(|v| v.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    Ok(crate::csv::csv_document(&header, &rows))
}

pub(super) async fn history(id: String) -> Result<Vec<AuditEntry>, AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    let Some((entries, audited)) = answer(state.store.customer_history(&viewer, &id).await)? else {
        return Err(AppError::NotFound.respond());
    };
    if audited {
        let detail = serde_json::json!({ "history": entries.len() });
        answer(
            state
                .store
                .record_audit(&viewer, "view_sensitive", Some((&id, None)), Some(detail.to_string()))
                .await,
        )?;
    }
    Ok(entries)
}
