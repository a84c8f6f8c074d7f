//! Changing a user's role or team, with what follows from it for sync.
//!
//! An archive's team is its keeper's team, looked up when it is written. So
//! when a keeper moves to another team, every archive they keep is written
//! again under the new team, each with a new version, and a revocation tells
//! the old team's devices to drop it; the new team's devices pull it like any
//! change. All of it commits in one transaction behind the same counter check
//! as a push. The user's own devices start their archive over at their next
//! pull when their scope changed (see [`super::pull`]).

use std::sync::Arc;

use domain::FieldError;
use domain::archive::Customer;
use domain::ids::UserId;
use domain::policy::Role;
use domain::views::User;
use serde::Deserialize;
use serde_json::{Value, json};

use super::CounterRow;
use super::push::{Notice, retryable};
use super::rows::{audience, customer_row, revocation_row};
use crate::query::{take_all, take_one};
use crate::{Store, StoreError};

/// How often a change that lost the race with pushes is tried again.
const ATTEMPTS: usize = 20;

#[derive(Deserialize)]
struct KeptRow {
    id: String,
    doc: String,
}

impl Store {
    /// Gives `id` a new role and team. `by` (an admin) is named in the audit
    /// trail. Archives they keep follow them to the new team.
    pub async fn set_role_and_team(
        &self,
        by: &UserId,
        id: &UserId,
        role: Role,
        team: Option<&str>,
    ) -> Result<User, StoreError> {
        let team = team.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        if team.as_ref().is_some_and(|t| t.chars().count() > 60) {
            return Err(StoreError::Invalid(FieldError::new("team", "too_long").with_limit(60)));
        }
        if let Some(team) = &team {
            domain::pool::check_team_name(team).map_err(StoreError::Invalid)?;
        }
        let before = self.user(id).await?;
        if before.role == role && before.team == team {
            return Ok(before);
        }
        for _ in 0..ATTEMPTS {
            if self.try_set_role_and_team(by, &before, role, team.as_deref()).await? {
                return self.user(id).await;
            }
        }
        Err(StoreError::Unavailable("the archive is too busy to move a team; try again".into()))
    }

    /// One attempt: false when a push moved the counter first.
    async fn try_set_role_and_team(
        &self,
        by: &UserId,
        before: &User,
        role: Role,
        team: Option<&str>,
    ) -> Result<bool, StoreError> {
        let moves_team = before.team.as_deref() != team;
        let mut response = self
            .db
            .query(
                "SELECT current, epoch FROM counter:sync;
                 IF $moves { SELECT record::id(id) AS id, doc FROM customer WHERE owner = $user } ELSE { [] };",
            )
            .bind(("user", before.id.0.clone()))
            .bind(("moves", moves_team))
            .await
            .map_err(StoreError::from_db)?;
        let counter: CounterRow = take_one(&mut response, 0)?.ok_or(StoreError::Other)?;
        let kept: Vec<KeptRow> = take_all(&mut response, 1)?;
        let start = counter.current as u64;
        let mut version = start;
        let (mut customers, mut revocations, mut audiences) = (Vec::new(), Vec::new(), Vec::new());
        for row in kept {
            let mut customer: Customer = serde_json::from_str(&row.doc).map_err(|error| {
                tracing::error!(%error, id = row.id, "stored archive does not parse");
                StoreError::Other
            })?;
            let old = customer.clone();
            version += 1;
            customer.version = version;
            customers.push(json!({ "key": row.id, "row": customer_row(&customer, team) }));
            revocations.extend(revocation_row(&old, before.team.as_deref(), &customer, team));
            audiences.push(audience(&old, before.team.as_deref()));
            audiences.push(audience(&customer, team));
        }
        let detail = json!({
            "user": before.id.0, "role": role.as_str(), "team": team, "archives": customers.len(),
        });
        let old = json!({ "role": before.role.as_str(), "team": before.team });
        let committed = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 LET $now = (SELECT VALUE current FROM counter:sync)[0];
                 IF $now != $expected { THROW 'crm:stale' };
                 UPDATE counter:sync SET current = $next;
                 IF $team != NONE { UPSERT type::record('team', $team) SET name = $team; };
                 UPDATE type::record('user', $user) SET role = $role, team = $team;
                 UPDATE counter:users SET current += 1;
                 DELETE array::map($customers, |$r| type::record('customer', $r.key));
                 INSERT INTO customer array::map($customers, |$r| object::extend($r.row, { id: $r.key }));
                 FOR $r IN $revocations { CREATE revocation CONTENT $r; };
                 CREATE audit CONTENT { user: $by, action: 'user_role_team', subject: $subject, old: $old, new: $new };
                 COMMIT TRANSACTION;",
            )
            .bind(("expected", start as i64))
            .bind(("next", version as i64))
            .bind(("team", team.map(str::to_owned)))
            .bind(("user", before.id.0.clone()))
            .bind(("role", role.as_str()))
            .bind(("customers", Value::Array(customers)))
            .bind(("revocations", Value::Array(revocations)))
            .bind(("by", by.0.clone()))
            .bind(("subject", format!("user:{}", before.id.0)))
            .bind(("old", old.to_string()))
            .bind(("new", detail.to_string()))
            .await
            .and_then(crate::error::explain);
        match committed {
            Ok(_) => {
                if version > start {
                    self.pushes.committed(start + 1..=version);
                    let _ = self.pushes.live.send(Arc::new(Notice { version, audiences }));
                }
                Ok(true)
            }
            Err(error) if retryable(&error) => Ok(false),
            Err(error) => Err(StoreError::from_db(error)),
        }
    }
}
