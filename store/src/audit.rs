//! The audit trail: every applied mutation (written by the push), every
//! export and every view of sensitive fields by someone other than the
//! record keeper. Entries are read-only in the schema; nothing edits them.

use domain::archive::{FieldValue, Fields};
use domain::policy::{self, Role, SENSITIVE, Shown, Sight, Viewer};
use domain::time::Date;
pub use domain::views::{AuditEntry, AuditFilter};
use serde_json::json;

use crate::query::take_all;
use crate::{Store, StoreError};

/// The row of an audit entry for something `viewer` did that is not a mutation.
pub(crate) fn audit_entry(
    viewer: &Viewer,
    action: &str,
    customer: Option<(&str, Option<&str>)>,
    detail: Option<String>,
) -> serde_json::Value {
    crate::query::without_nulls(json!({
        "user": viewer.user.0,
        "action": action,
        "customer": customer.map(|(id, _)| id),
        "team": customer.and_then(|(_, team)| team).or(viewer.team.as_deref()),
        "new": detail,
    }))
}

impl Store {
    /// Records something a user did that is not a mutation (an export, a view).
    pub async fn record_audit(
        &self,
        viewer: &Viewer,
        action: &str,
        customer: Option<(&str, Option<&str>)>,
        detail: Option<String>,
    ) -> Result<(), StoreError> {
        let entry = audit_entry(viewer, action, customer, detail);
        self.db
            .query("CREATE audit CONTENT $entry")
            .bind(("entry", entry))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }

    /// Audit entries `viewer` may read, newest first: admins all, managers
    /// their team's, reps none. `customer` narrows to one archive.
    pub async fn list_audit(
        &self,
        viewer: &Viewer,
        customer: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let filter = AuditFilter { customer: customer.map(str::to_owned), limit, ..AuditFilter::default() };
        self.search_audit(viewer, &filter).await
    }

    /// Audit entries `viewer` may read that match `filter`, newest first, at
    /// most [`MAX_AUDIT_ROWS`].
    pub async fn search_audit(
        &self,
        viewer: &Viewer,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let scope = match (viewer.role, &viewer.team) {
            (Role::Admin, _) => "true",
            (Role::Manager, Some(_)) => "team = $team",
            _ => return Err(StoreError::Forbidden("audit.forbidden".into())),
        };
        let mut filters = vec![scope];
        let text = |value: &Option<String>| {
            value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
        };
        let (customer, user, action) = (text(&filter.customer), text(&filter.user), text(&filter.action));
        if customer.is_some() {
            filters.push("customer = $customer");
        }
        if user.is_some() {
            filters.push("user = $user");
        }
        if action.is_some() {
            filters.push("action = $action");
        }
        // Days are the company's: a day starts at midnight in its zone.
        let midnight = |day: Date| domain::time::with_company_zone(|zone| zone.start_of(day).rfc3339());
        if filter.from.is_some() {
            filters.push("at >= <datetime> $from");
        }
        if filter.to.is_some() {
            filters.push("at < <datetime> $to");
        }
        let limit = if filter.limit == 0 { 200 } else { filter.limit.min(MAX_AUDIT_ROWS) };
        let mut response = self
            .db
            .query(format!(
                "SELECT {COLUMNS} FROM audit WHERE {} ORDER BY at DESC LIMIT $limit",
                filters.join(" AND ")
            ))
            .bind(("team", viewer.team.clone().unwrap_or_default()))
            .bind(("customer", customer.unwrap_or_default()))
            .bind(("user", user.unwrap_or_default()))
            .bind(("action", action.unwrap_or_default()))
            .bind(("from", filter.from.map(midnight).unwrap_or_default()))
            .bind((
                "to",
                filter
                    .to
                    .map(|d| midnight(Date::from_days_since_epoch(d.days_since_epoch() + 1)))
                    .unwrap_or_default(),
            ))
            .bind(("limit", i64::from(limit)))
            .await
            .map_err(StoreError::from_db)?;
        take_all(&mut response, 0)
    }

    /// Every change to the archive `id`, newest first, with old and new
    /// values, for anyone who may see it: masked values stay masked. `None`
    /// when the viewer may not see the archive. The flag says whether the
    /// read showed sensitive values of someone else's archive (to audit).
    pub async fn customer_history(
        &self,
        viewer: &Viewer,
        id: &str,
    ) -> Result<Option<(Vec<AuditEntry>, bool)>, StoreError> {
        let Some((customer, sight)) = self.customer_for(viewer, id).await? else { return Ok(None) };
        let mut response = self
            .db
            .query(format!(
                "SELECT {COLUMNS} FROM audit WHERE customer = $id AND mutation != NONE ORDER BY at DESC LIMIT $limit"
            ))
            .bind(("id", id.to_owned()))
            .bind(("limit", i64::from(MAX_HISTORY)))
            .await
            .map_err(StoreError::from_db)?;
        let mut entries: Vec<AuditEntry> = take_all(&mut response, 0)?;
        if sight != Sight::Full {
            entries.iter_mut().for_each(mask_entry);
        }
        let audited = policy::view_is_audited(viewer, &customer, sight, Shown::Archive);
        Ok(Some((entries, audited)))
    }
}

/// The columns an audit entry is read with.
const COLUMNS: &str =
    "<string> at AS at, version, user, client, customer, mutation, action, subject, old, new, reason";

/// Most entries one read of the audit trail returns (and an export holds).
pub const MAX_AUDIT_ROWS: u32 = 5000;

/// Most changes a record's history shows.
const MAX_HISTORY: u32 = 500;

/// Hides in `entry` what a masked viewer may not see: the sensitive
/// fields' values, before and after, and in the facts an archive was
/// created with.
fn mask_entry(entry: &mut AuditEntry) {
    let sensitive = |name: &str| SENSITIVE.iter().any(|f| f.as_str() == name);
    match entry.subject.as_deref() {
        Some(subject) if subject.strip_prefix("field:").is_some_and(sensitive) => {
            for value in [&mut entry.old, &mut entry.new] {
                *value = value
                    .as_deref()
                    .and_then(|v| serde_json::from_str::<FieldValue>(v).ok())
                    .map(|v| serde_json::to_string(&policy::masked_value(v)).unwrap_or_default());
            }
        }
        None => {
            entry.new = entry.new.as_deref().and_then(|v| serde_json::from_str::<Fields>(v).ok()).map(
                |mut fields| {
                    for &name in SENSITIVE {
                        policy::masked_value(FieldValue::read(&fields, name)).write_into(&mut fields);
                    }
                    serde_json::to_string(&fields).unwrap_or_default()
                },
            );
        }
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use domain::ids::UserId;

    use super::*;

    #[tokio::test]
    async fn an_audit_entry_cannot_be_edited() {
        let (store, _) = Store::open("mem://", None).await.unwrap();
        let viewer = Viewer { user: UserId("m".into()), role: Role::Manager, team: Some("north".into()) };
        store.record_audit(&viewer, "export", None, Some("{\"rows\":1}".into())).await.unwrap();
        let edit = store
            .db
            .query("UPDATE audit SET user = 'someone-else', new = 'forged'")
            .await
            .and_then(crate::error::explain);
        assert!(edit.is_err(), "the schema refused nothing");
        let entries = store.list_audit(&viewer, None, 10).await.unwrap();
        assert_eq!(entries[0].user, "m");
        assert_eq!(entries[0].new.as_deref(), Some("{\"rows\":1}"));
    }
}
