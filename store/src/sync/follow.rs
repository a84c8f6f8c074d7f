//! Hearing the commits of other app servers on the same database, so that
//! live updates reach a device whichever server it is connected to.
//!
//! A server announces its own commits the moment they land. Those of other
//! servers it learns by following the version counter: it reads the counter
//! a few times a second and, when it moved and some device listens, works
//! out who sees what changed from the same two lists a pull reads (archives
//! and revocations with versions in the new range), leaving out the
//! versions it committed and announced itself. Only a store on a database
//! server follows: an embedded engine has one app server.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use domain::archive::Customer;
use domain::ids::UserId;
use domain::policy::Audience;
use serde::Deserialize;
use surrealdb::Surreal;
use surrealdb::engine::any::Any;

use super::push::{Notice, PushQueue};
use super::rows::audience;
use crate::query::{take_all, take_one};
use crate::{Store, StoreError};

/// How often the counter is read (one small query): a colleague's change
/// on another server is heard within about this long.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);

#[derive(Deserialize)]
struct CurrentRow {
    current: i64,
}

#[derive(Deserialize)]
struct ChangedRow {
    doc: String,
    team: Option<String>,
    version: i64,
}

#[derive(Deserialize)]
struct RevokedRow {
    users: Vec<String>,
    teams: Vec<String>,
    from_pool: bool,
    #[serde(default)]
    pool: Option<String>,
    version: i64,
}

impl Store {
    /// Starts following other servers' commits, for a store on a database
    /// server. From the counter as it stands now, before the store is
    /// handed out, not from the follower's first tick: a commit that lands
    /// a moment after the start must be heard, however late that tick runs.
    pub(crate) async fn follow_other_servers(&self) {
        if self.shared && !self.pushes.following.swap(true, Ordering::SeqCst) {
            // Before migrations the counter may not exist yet: the first tick
            // starts from whatever it reads then.
            let followed = current(&self.db).await.ok();
            tokio::spawn(follow(Arc::downgrade(&self.db), Arc::downgrade(&self.pushes), followed));
        }
    }
}

/// Runs as long as the store does (it holds no strong handle, so the store
/// can close), reading the counter a few times a second.
async fn follow(db: Weak<Surreal<Any>>, pushes: Weak<PushQueue>, mut followed: Option<u64>) {
    loop {
        tokio::time::sleep(FOLLOW_EVERY).await;
        let (Some(db), Some(pushes)) = (db.upgrade(), pushes.upgrade()) else { return };
        match commits_of_others(&db, &pushes, &mut followed).await {
            Ok(Some(notice)) => {
                let _ = pushes.live.send(Arc::new(notice));
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "following other servers' commits failed; trying again"),
        }
    }
}

/// The version counter as committed now.
async fn current(db: &Surreal<Any>) -> Result<u64, StoreError> {
    let mut response = db.query("SELECT current FROM counter:sync").await.map_err(StoreError::from_db)?;
    Ok(take_one::<CurrentRow>(&mut response, 0)?.map_or(0, |r| r.current as u64))
}

/// What other servers committed since `followed`, as a notice, if anything
/// and anyone listens; moves `followed` to the counter only once that range
/// has been read, so a failed read is tried again, not skipped.
async fn commits_of_others(
    db: &Surreal<Any>,
    pushes: &PushQueue,
    followed: &mut Option<u64>,
) -> Result<Option<Notice>, StoreError> {
    let current = current(db).await?;
    let from = match *followed {
        // A restore can put the counter back: follow from there.
        Some(from) if from <= current => from,
        _ => {
            pushes.own_commits_up_to(current);
            *followed = Some(current);
            return Ok(None);
        }
    };
    // Nothing new, or nobody to tell: only keep up with the counter.
    if current == from || pushes.live.receiver_count() == 0 {
        pushes.own_commits_up_to(current);
        *followed = Some(current);
        return Ok(None);
    }
    let mut response = db
        .query(
            "SELECT doc, team, version FROM customer WHERE version > $from AND version <= $to;
             SELECT users, teams, from_pool, pool, version FROM revocation WHERE version > $from AND version <= $to;",
        )
        .bind(("from", from as i64))
        .bind(("to", current as i64))
        .await
        .map_err(StoreError::from_db)?;
    let changed: Vec<ChangedRow> = take_all(&mut response, 0)?;
    let revoked: Vec<RevokedRow> = take_all(&mut response, 1)?;
    let own = pushes.own_commits_up_to(current);
    *followed = Some(current);
    let by_others = |version: i64| !own.iter().any(|range| range.contains(&(version as u64)));
    let mut audiences = Vec::new();
    for row in changed.into_iter().filter(|r| by_others(r.version)) {
        // One archive that does not parse must not stop every later notice.
        match serde_json::from_str::<Customer>(&row.doc) {
            Ok(customer) => audiences.push(audience(&customer, row.team.as_deref())),
            Err(error) => tracing::error!(%error, version = row.version, "stored archive does not parse"),
        }
    }
    for row in revoked.into_iter().filter(|r| by_others(r.version)) {
        audiences.push(Audience {
            users: row.users.into_iter().map(UserId).collect(),
            teams: row.teams.into_iter().collect(),
            pool: row.from_pool,
            pool_team: row.pool,
        });
    }
    Ok((!audiences.is_empty()).then_some(Notice { version: current, audiences }))
}
