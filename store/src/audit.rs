//! The audit trail: every applied mutation (written by the push), every
//! export and every view of sensitive fields by someone other than the
//! record keeper. Entries are read-only in the schema; nothing edits them.

use domain::policy::{Role, Viewer};
pub use domain::views::AuditEntry;
use serde_json::json;

use crate::query::take_all;
use crate::{Store, StoreError};

impl Store {
    /// Records something a user did that is not a mutation (an export, a view).
    pub async fn record_audit(
        &self,
        viewer: &Viewer,
        action: &str,
        customer: Option<(&str, Option<&str>)>,
        detail: Option<String>,
    ) -> Result<(), StoreError> {
        let entry = json!({
            "user": viewer.user.0,
            "action": action,
            "customer": customer.map(|(id, _)| id),
            "team": customer.and_then(|(_, team)| team).or(viewer.team.as_deref()),
            "new": detail,
        });
        let entry = crate::query::without_nulls(entry);
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
        let scope = match (viewer.role, &viewer.team) {
            (Role::Admin, _) => "true",
            (Role::Manager, Some(_)) => "team = $team",
            _ => return Err(StoreError::Forbidden("audit.forbidden".into())),
        };
        let narrow = if customer.is_some() { "AND customer = $customer" } else { "" };
        let mut response = self
            .db
            .query(format!(
                "SELECT <string> at AS at, version, user, client, customer, mutation, action, subject, old, new, reason
                 FROM audit WHERE {scope} {narrow} ORDER BY at DESC LIMIT $limit"
            ))
            .bind(("team", viewer.team.clone().unwrap_or_default()))
            .bind(("customer", customer.unwrap_or_default().to_owned()))
            .bind(("limit", i64::from(limit.clamp(1, 1000))))
            .await
            .map_err(StoreError::from_db)?;
        take_all(&mut response, 0)
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
