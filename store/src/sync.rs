//! Push and pull: the server side of the sync protocol.
//!
//! Order comes from one counter row (`counter:sync`). A push reads the
//! counter, applies its batch in memory with the shared domain code, and
//! commits everything in one transaction that first checks the counter has
//! not moved and then advances it. Two pushes racing on any number of app
//! servers therefore cannot both commit: the loser's transaction fails (the
//! check, or the engine's write conflict on the counter row) and it starts
//! again from fresh state. Versions are unique, and a change with a lower
//! version is always committed before one with a higher version is visible,
//! so a pull, which reads the counter and the rows in one snapshot, never
//! skips a change.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use domain::apply::{Applied, ApplyContext, Rejection, apply, apply_merge, server_checks};
use domain::archive::{Customer, FieldName, FieldValue, Item, ItemKind};
use domain::dedup::SearchKeys;
use domain::ids::{ClientId, CustomerId, ItemId, UserId};
use domain::policy::{self, Colleague, Placement, Scope, Sight, Viewer};
use domain::time::Date;
use domain::{Change, Mutation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::customers::scope_filter;
use crate::{Store, StoreError};
/// How often a push starts again after losing a race before giving up.
const MAX_ATTEMPTS: u32 = 50;

pub use domain::sync::{MAX_BATCH, MAX_PULL_PAGE, MutationResult, Outcome, PullPage, Pulled, PushReply};

/// The placement of an archive: its keeper's team is looked up at write time.
fn placement<'a>(customer: &'a Customer, team: Option<&'a str>) -> Placement<'a> {
    Placement { owner: customer.fields.owner.as_ref(), team, shared_with: &customer.fields.shared_with }
}

fn retryable(error: &surrealdb::Error) -> bool {
    let text = error.to_string();
    text.contains("crm:stale") || text.contains("can be retried") || text.contains("already exists")
}

/// Strips nulls from a row, since `option<T>` columns take NONE, not NULL.
pub(crate) fn without_nulls(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}

fn json_string<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

pub use domain::archive::wire_name;

/// The customer row: the archive document and the columns queries use.
pub(crate) fn customer_row(customer: &Customer, team: Option<&str>) -> Value {
    let keys = domain::dedup::search_keys(customer.fields.name.as_str());
    without_nulls(json!({
        "doc": json_string(customer),
        "version": customer.version,
        "owner": customer.fields.owner.as_ref().map(|u| u.0.clone()),
        "team": team,
        "shared_with": customer.fields.shared_with.iter().map(|u| u.0.clone()).collect::<Vec<_>>(),
        "deleted": customer.deleted(),
        "conflicted": customer.has_conflicts(),
        "name": customer.fields.name.as_str(),
        "pinyin": keys.pinyin,
        "initials": keys.initials,
        "phones": customer.fields.phones.iter().map(|p| p.number.e164().to_owned()).collect::<Vec<_>>(),
        "emails": customer.fields.emails.iter().map(|e| e.as_str().to_owned()).collect::<Vec<_>>(),
        "stage": wire_name(&customer.fields.stage),
        "category": wire_name(&customer.fields.category),
        "city": customer.fields.address.city.clone(),
        "created_at": customer.created_at.0,
        "updated_at": customer.updated_at.0,
    }))
}

/// The projection rows of items that changed between `before` and `after`.
fn item_rows(before: Option<&Customer>, after: &Customer, out: &mut Vec<Value>) {
    fn changed<T: Clone + PartialEq + Serialize>(
        before: Option<&std::collections::BTreeMap<ItemId, Item<T>>>,
        after: &std::collections::BTreeMap<ItemId, Item<T>>,
        customer: &Customer,
        table: &str,
        columns: impl Fn(&T) -> Value,
        out: &mut Vec<Value>,
    ) {
        for (id, item) in after {
            if before.and_then(|b| b.get(id)) == Some(item) {
                continue;
            }
            let mut fields = columns(item.value());
            if let Value::Object(map) = &mut fields {
                map.insert("customer".into(), json!(customer.id.to_string()));
                map.insert("version".into(), json!(customer.version));
                map.insert("removed".into(), json!(item.hidden()));
                map.insert("doc".into(), json!(json_string(item)));
            }
            out.push(json!({ "tb": table, "key": id.to_string(), "row": without_nulls(fields) }));
        }
    }
    let b = before;
    changed(
        b.map(|c| &c.contacts),
        &after.contacts,
        after,
        "contact",
        |c| {
            json!({
                "name": c.name.as_str(),
                "phones": c.phones.iter().map(|p| p.number.e164().to_owned()).collect::<Vec<_>>(),
            })
        },
        out,
    );
    changed(
        b.map(|c| &c.orders),
        &after.orders,
        after,
        "sale_order",
        |o| {
            json!({
                "product": o.product, "amount": o.amount.minor, "currency": o.amount.currency.as_str(),
                "date": o.date.to_string(),
            })
        },
        out,
    );
    changed(
        b.map(|c| &c.interactions),
        &after.interactions,
        after,
        "interaction",
        |i| {
            json!({
                "kind": wire_name(&i.kind), "at": i.at.0, "satisfaction": i.satisfaction,
                "follow_up": i.next_follow_up.map(|d| d.to_string()),
            })
        },
        out,
    );
    changed(
        b.map(|c| &c.feedback),
        &after.feedback,
        after,
        "feedback",
        |f| {
            json!({
                "kind": wire_name(&f.kind), "status": wire_name(&f.status), "received_at": f.received_at.0,
            })
        },
        out,
    );
    changed(
        b.map(|c| &c.tasks),
        &after.tasks,
        after,
        "task",
        |t| {
            json!({
                "kind": wire_name(&t.kind), "due": t.due.to_string(), "done": t.done,
            })
        },
        out,
    );
}

/// Audit entries for one applied mutation: one per changed field, tag and
/// item, with old and new values; at least one even when only a rival value
/// joined a conflict.
fn audit_rows(
    mutation: &Mutation,
    before: Option<&Customer>,
    after: &Customer,
    team: Option<&str>,
    out: &mut Vec<Value>,
) {
    let action = name_of_change(&mutation.change);
    let entry = |subject: Option<String>, old: Option<String>, new: Option<String>| {
        without_nulls(json!({
            "version": after.version, "user": mutation.author.0, "client": mutation.client.to_string(),
            "customer": after.id.to_string(), "team": team, "mutation": mutation.id.to_string(),
            "action": action, "subject": subject, "old": old, "new": new,
        }))
    };
    let start = out.len();
    match before {
        None => out.push(entry(None, None, Some(json_string(&after.fields)))),
        Some(before) => {
            for &name in FieldName::ALL {
                let (old, new) =
                    (FieldValue::read(&before.fields, name), FieldValue::read(&after.fields, name));
                if old != new {
                    out.push(entry(
                        Some(format!("field:{}", name.as_str())),
                        Some(json_string(&old)),
                        Some(json_string(&new)),
                    ));
                }
            }
            let tags: BTreeSet<&String> = before.tags.keys().chain(after.tags.keys()).collect();
            for tag in tags {
                let shown = |c: &Customer| c.tags.get(tag).is_some_and(|r| r.candidates().any(|c| *c.value));
                if shown(before) != shown(after) {
                    out.push(entry(
                        Some(format!("tag:{tag}")),
                        Some(shown(before).to_string()),
                        Some(shown(after).to_string()),
                    ));
                }
            }
            fn items<T: Clone + PartialEq + Serialize>(
                kind: ItemKind,
                before: &std::collections::BTreeMap<ItemId, Item<T>>,
                after: &std::collections::BTreeMap<ItemId, Item<T>>,
                push: &mut dyn FnMut(String, Option<String>, Option<String>),
            ) {
                for (id, item) in after {
                    let old = before.get(id);
                    if old == Some(item) {
                        continue;
                    }
                    let shown = |i: &Item<T>| (!i.hidden()).then(|| json_string(i.value()));
                    push(format!("{}:{id}", kind.as_str()), old.and_then(shown), shown(item));
                }
            }
            let mut push = |s: String, o: Option<String>, n: Option<String>| out.push(entry(Some(s), o, n));
            items(ItemKind::Contact, &before.contacts, &after.contacts, &mut push);
            items(ItemKind::Order, &before.orders, &after.orders, &mut push);
            items(ItemKind::Interaction, &before.interactions, &after.interactions, &mut push);
            items(ItemKind::Feedback, &before.feedback, &after.feedback, &mut push);
            items(ItemKind::Task, &before.tasks, &after.tasks, &mut push);
            if before.deleted() != after.deleted() {
                out.push(entry(
                    Some("deletion".into()),
                    Some(before.deleted().to_string()),
                    Some(after.deleted().to_string()),
                ));
            }
        }
    }
    if out.len() == start {
        out.push(entry(None, None, Some(json_string(&mutation.change))));
    }
}

fn name_of_change(change: &Change) -> String {
    serde_json::to_value(change)
        .ok()
        .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

/// Who (other than admins) can see an archive placed like this.
fn audience(customer: &Customer, team: Option<&str>) -> (BTreeSet<String>, BTreeSet<String>, bool) {
    let users =
        customer.fields.owner.iter().chain(&customer.fields.shared_with).map(|u| u.0.clone()).collect();
    let teams = team.map(str::to_owned).into_iter().collect();
    (users, teams, customer.fields.owner.is_none())
}

/// A tombstone for whoever lost sight of the archive between `before` and `after`.
fn revocation_row(
    before: &Customer,
    before_team: Option<&str>,
    after: &Customer,
    team: Option<&str>,
) -> Option<Value> {
    let (old_users, old_teams, old_pool) = audience(before, before_team);
    let (new_users, new_teams, new_pool) = audience(after, team);
    let users: Vec<&String> = old_users.difference(&new_users).collect();
    let teams: Vec<&String> = old_teams.difference(&new_teams).collect();
    let from_pool = old_pool && !new_pool;
    (!users.is_empty() || !teams.is_empty() || from_pool).then(|| {
        json!({ "customer": after.id.to_string(), "version": after.version, "users": users, "teams": teams, "from_pool": from_pool })
    })
}

/// An archive as one mutation left it, with what it was before (none for a create).
type Written = (Customer, Option<Customer>);

/// An archive loaded for a push, with what it looked like before the batch.
struct Loaded {
    original: Option<Customer>,
    current: Option<Customer>,
}

#[derive(Deserialize)]
struct DocRow {
    id: String,
    doc: String,
}

#[derive(Deserialize)]
struct ClientRow {
    user: String,
    last_seq: i64,
}

#[derive(Deserialize)]
struct LoggedRow {
    seq: i64,
    outcome: String,
}

#[derive(Deserialize)]
struct CounterRow {
    current: i64,
    epoch: String,
}

enum Attempt {
    Done(PushReply),
    Lost,
}

impl Store {
    /// Applies a batch of mutations from one client, in order, as `viewer`.
    ///
    /// Mutations already taken from this client (by sequence number) are
    /// skipped and answered as they were the first time. The rest must
    /// continue the client's sequence without a gap. Each is checked by the
    /// shared domain code and the policy; a refused one is recorded as
    /// rejected and does not stop the ones after it. All of it commits in
    /// one transaction, or none of it does.
    pub async fn push(
        &self,
        viewer: &Viewer,
        client: ClientId,
        mutations: &[Mutation],
        today: Date,
    ) -> Result<PushReply, StoreError> {
        check_batch_shape(client, mutations)?;
        let _turn = self.pushing.lock().await;
        for attempt in 0..MAX_ATTEMPTS {
            match self.try_push(viewer, client, mutations, today).await? {
                Attempt::Done(reply) => return Ok(reply),
                Attempt::Lost => {
                    // Another push committed first; back off a little, with
                    // jitter so racing servers do not collide again in step.
                    let jitter = u64::from(client.0.as_u128() as u8 % 7);
                    tokio::time::sleep(Duration::from_millis(u64::from(attempt.min(10)) * 2 + jitter)).await;
                }
            }
        }
        Err(StoreError::Unavailable("the server is too busy to take this push; try again".into()))
    }

    async fn try_push(
        &self,
        viewer: &Viewer,
        client: ClientId,
        mutations: &[Mutation],
        today: Date,
    ) -> Result<Attempt, StoreError> {
        let first = mutations[0].seq;
        let last = mutations[mutations.len() - 1].seq;
        let mut ids: Vec<CustomerId> = mutations.iter().map(|m| m.customer).collect();
        ids.extend(mutations.iter().filter_map(|m| match &m.change {
            Change::Merge { from, .. } => Some(*from),
            _ => None,
        }));
        ids.sort();
        ids.dedup();
        // The ids are formatted UUIDs (hex and dashes), so naming them in the
        // query text is safe, and lets the engine fetch each record by key.
        let targets: Vec<String> = ids.iter().map(|id| format!("type::record('customer', '{id}')")).collect();
        let mut response = self
            .db
            .query(format!(
                "SELECT current, epoch FROM counter:sync;
                 SELECT user, last_seq FROM type::record('client', $client);
                 SELECT seq, outcome FROM mutation WHERE client = $client AND seq >= $first AND seq <= $last;
                 SELECT record::id(id) AS id, doc FROM {};",
                targets.join(", ")
            ))
            .bind(("client", client.to_string()))
            .bind(("first", first as i64))
            .bind(("last", last as i64))
            .await
            .map_err(StoreError::from_db)?;
        let counter: CounterRow = take_one(&mut response, 0)?.ok_or(StoreError::Other)?;
        let client_row: Option<ClientRow> = take_one(&mut response, 1)?;
        let logged: Vec<LoggedRow> = take_all(&mut response, 2)?;
        let docs: Vec<DocRow> = take_all(&mut response, 3)?;

        if client_row.as_ref().is_some_and(|row| row.user != viewer.user.0) {
            return Err(StoreError::Forbidden("client.foreign".into()));
        }
        let last_seq = client_row.map_or(0, |r| r.last_seq as u64);
        let logged: HashMap<u64, Outcome> = logged
            .into_iter()
            .filter_map(|r| Some((r.seq as u64, serde_json::from_str(&r.outcome).ok()?)))
            .collect();
        if let Some(fresh) = mutations.iter().find(|m| m.seq > last_seq)
            && fresh.seq != last_seq + 1
        {
            return Err(StoreError::SequenceGap { expected: last_seq + 1, got: fresh.seq });
        }

        let checking = std::time::Instant::now();
        let colleagues = self.colleagues().await?;
        let colleague = |user: &UserId| colleagues.get(user).cloned();
        let team_of = |owner: Option<&UserId>| -> Option<String> {
            owner.and_then(|o| colleagues.get(o)).and_then(|c: &Colleague| c.team.clone())
        };
        let mut loaded: HashMap<CustomerId, Loaded> = HashMap::new();
        for doc in docs {
            let customer: Customer = serde_json::from_str(&doc.doc).map_err(|error| {
                tracing::error!(%error, customer = %doc.id, "stored archive does not parse");
                StoreError::Other
            })?;
            loaded.insert(customer.id, Loaded { original: Some(customer.clone()), current: Some(customer) });
        }

        let start_version = counter.current as u64;
        let mut version = start_version;
        let mut results = Vec::with_capacity(mutations.len());
        let mut mutation_rows = Vec::new();
        let mut audit = Vec::new();
        let mut revocations = Vec::new();
        let mut opened = Vec::new();
        let mut closed = Vec::new();
        let mut touched: Vec<CustomerId> = Vec::new();
        for mutation in mutations {
            if mutation.seq <= last_seq {
                let outcome = logged.get(&mutation.seq).cloned().unwrap_or_else(|| Outcome::Rejected {
                    code: "sync.unknown_outcome".into(),
                    errors: Vec::new(),
                });
                results.push(MutationResult { id: mutation.id, seq: mutation.seq, outcome });
                continue;
            }
            let ctx = ApplyContext { version: version + 1, today };
            let result = (|| -> Result<(Vec<Written>, Applied), Rejection> {
                server_checks(mutation)?;
                let current = loaded.get(&mutation.customer).and_then(|l| l.current.as_ref());
                let sight_of = |c: &Customer| {
                    policy::sight(viewer, placement(c, team_of(c.fields.owner.as_ref()).as_deref()))
                };
                let from = match &mutation.change {
                    Change::Merge { from, .. } => loaded.get(from).and_then(|l| l.current.as_ref()),
                    _ => None,
                };
                policy::check_mutation(
                    viewer,
                    mutation,
                    current.map(sight_of),
                    from.map(sight_of),
                    &colleague,
                )?;
                match (&mutation.change, current, from) {
                    (Change::Merge { .. }, Some(into), Some(from)) => {
                        let (merged, gone, applied) = apply_merge(into, from, mutation, &ctx)?;
                        Ok((vec![(merged, Some(into.clone())), (gone, Some(from.clone()))], applied))
                    }
                    (Change::Merge { .. }, _, _) => Err(Rejection::new("customer.not_found")),
                    _ => {
                        let (after, applied) = apply(current, mutation, &ctx)?;
                        Ok((vec![(after, current.cloned())], applied))
                    }
                }
            })();
            let outcome = match result {
                Err(rejection) => Outcome::Rejected { code: rejection.code, errors: rejection.errors },
                Ok((_, Applied::Duplicate)) => Outcome::Applied { version },
                Ok((archives, Applied::Done { conflicts })) => {
                    version += 1;
                    for (after, before) in archives {
                        let team = team_of(after.fields.owner.as_ref());
                        audit_rows(mutation, before.as_ref(), &after, team.as_deref(), &mut audit);
                        if let Some(before) = &before {
                            let before_team = team_of(before.fields.owner.as_ref());
                            revocations.extend(revocation_row(
                                before,
                                before_team.as_deref(),
                                &after,
                                team.as_deref(),
                            ));
                            let was: BTreeSet<String> = before.conflicts().iter().map(|s| s.key()).collect();
                            let now: BTreeSet<String> = after.conflicts().iter().map(|s| s.key()).collect();
                            for subject in was.difference(&now) {
                                closed.push(json!({ "key": format!("{}/{subject}", after.id), "version": version, "by": mutation.id.to_string() }));
                            }
                            for subject in now.difference(&was) {
                                opened.push(json!({ "key": format!("{}/{subject}", after.id), "row": {
                                    "customer": after.id.to_string(), "subject": subject, "open": true,
                                    "opened_version": version, "opened_by": mutation.id.to_string(),
                                }}));
                            }
                        }
                        if !touched.contains(&after.id) {
                            touched.push(after.id);
                        }
                        let entry =
                            loaded.entry(after.id).or_insert(Loaded { original: None, current: None });
                        entry.current = Some(after);
                    }
                    if conflicts.is_empty() {
                        Outcome::Applied { version }
                    } else {
                        let keys =
                            conflicts.iter().map(|s| format!("{}/{}", mutation.customer, s.key())).collect();
                        Outcome::Conflict { version, conflicts: keys }
                    }
                }
            };
            let body = json_string(mutation);
            let (status, applied_version) = match &outcome {
                Outcome::Applied { version } => ("applied", Some(*version)),
                Outcome::Conflict { version, .. } => ("conflict", Some(*version)),
                Outcome::Rejected { code, .. } => {
                    // What was refused, bounded: a client decides how long its values are.
                    let logged: String = body.chars().take(LOGGED_BODY_CHARS).collect();
                    tracing::info!(mutation = %mutation.id, %code, body = %logged, "mutation rejected");
                    ("rejected", None)
                }
            };
            mutation_rows.push(without_nulls(json!({
                "id": format!("{client}:{:020}", mutation.seq),
                "mutation": mutation.id.to_string(), "client": client.to_string(), "seq": mutation.seq,
                "author": mutation.author.0, "customer": mutation.customer.to_string(),
                "kind": name_of_change(&mutation.change), "status": status, "outcome": json_string(&outcome),
                "version": applied_version, "body": body,
            })));
            results.push(MutationResult { id: mutation.id, seq: mutation.seq, outcome });
        }
        let new_last_seq = last_seq.max(last);
        if mutation_rows.is_empty() {
            return Ok(Attempt::Done(PushReply { results, last_seq: new_last_seq }));
        }

        let checked = checking.elapsed();
        let committing = std::time::Instant::now();
        let mut customers = Vec::new();
        let mut items = Vec::new();
        let mut summaries = Vec::new();
        for id in &touched {
            let entry = &loaded[id];
            let after = entry.current.as_ref().ok_or(StoreError::Other)?;
            let team = team_of(after.fields.owner.as_ref());
            customers.push(json!({ "key": id.to_string(), "row": customer_row(after, team.as_deref()) }));
            summaries.push(json!({ "key": id.to_string(), "row": crate::analytics::summary_row(after, team.as_deref()) }));
            item_rows(entry.original.as_ref(), after, &mut items);
        }
        let committed = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 LET $now = (SELECT VALUE current FROM counter:sync)[0];
                 IF $now != $expected { THROW 'crm:stale' };
                 UPDATE counter:sync SET current = $next;
                 UPSERT type::record('client', $client) SET user = $user, last_seq = $last_seq;
                 FOR $r IN $customers { UPSERT type::record('customer', $r.key) CONTENT $r.row; };
                 FOR $r IN $items { UPSERT type::record($r.tb, $r.key) CONTENT $r.row; };
                 FOR $r IN $summaries { UPSERT type::record('summary', $r.key) CONTENT $r.row; };
                 INSERT INTO mutation $mutations;
                 INSERT INTO audit $audit;
                 FOR $r IN $opened { UPSERT type::record('conflict', $r.key) CONTENT $r.row; };
                 FOR $r IN $closed { UPDATE type::record('conflict', $r.key) SET open = false, closed_version = $r.version, closed_by = $r.by; };
                 FOR $r IN $revocations { CREATE revocation CONTENT $r; };
                 COMMIT TRANSACTION;",
            )
            .bind(("expected", start_version as i64))
            .bind(("next", version as i64))
            .bind(("client", client.to_string()))
            .bind(("user", viewer.user.0.clone()))
            .bind(("last_seq", new_last_seq as i64))
            .bind(("customers", Value::Array(customers)))
            .bind(("items", Value::Array(items)))
            .bind(("summaries", Value::Array(summaries)))
            .bind(("mutations", Value::Array(mutation_rows)))
            .bind(("audit", Value::Array(audit)))
            .bind(("opened", Value::Array(opened)))
            .bind(("closed", Value::Array(closed)))
            .bind(("revocations", Value::Array(revocations)))
            .await
            .and_then(crate::error::explain);
        tracing::debug!(
            mutations = mutations.len(),
            check_ms = checked.as_millis() as u64,
            commit_ms = committing.elapsed().as_millis() as u64,
            "push transaction"
        );
        match committed {
            Ok(_) => Ok(Attempt::Done(PushReply { results, last_seq: new_last_seq })),
            Err(error) if retryable(&error) => {
                tracing::debug!(%error, "push lost a race; starting again");
                Ok(Attempt::Lost)
            }
            Err(error) => Err(StoreError::from_db(error)),
        }
    }

    /// Everything `viewer` may see that changed after `cookie`, at most
    /// `limit` changes (capped at [`MAX_PULL_PAGE`]), with the next cookie.
    pub async fn pull(
        &self,
        viewer: &Viewer,
        cookie: Option<&str>,
        limit: u32,
    ) -> Result<PullPage, StoreError> {
        let limit = limit.clamp(1, MAX_PULL_PAGE);
        let scope = policy::scope(viewer);
        let scope_sql = scope_filter(&scope);
        let revocation_sql = match scope {
            Scope::All => "false",
            Scope::Team { .. } => "(teams CONTAINS $team OR from_pool = true OR users CONTAINS $user)",
            Scope::Own { .. } => "users CONTAINS $user",
        };
        let parsed = cookie.filter(|c| !c.is_empty()).map(parse_cookie);
        let since = parsed.as_ref().and_then(|p| p.as_ref().map(|(_, version)| *version)).unwrap_or(0);
        let columns = "record::id(id) AS id, doc, version, team, pinyin, initials";
        let mut response = self
            .db
            .query(format!(
                "BEGIN TRANSACTION;
                 SELECT current, epoch FROM counter:sync;
                 SELECT {columns} FROM customer WHERE version > $since AND {scope_sql} ORDER BY version LIMIT $limit;
                 SELECT customer, version FROM revocation WHERE version > $since AND {revocation_sql} ORDER BY version LIMIT $limit;
                 COMMIT TRANSACTION;"
            ))
            .bind(("since", since as i64))
            .bind(("limit", i64::from(limit)))
            .bind(("team", viewer.team.clone().unwrap_or_default()))
            .bind(("user", viewer.user.0.clone()))
            .await
            .map_err(StoreError::from_db)?;
        // BEGIN is statement 0.
        let counter: CounterRow = take_one(&mut response, 1)?.ok_or(StoreError::Other)?;
        let mut rows: Vec<PullRow> = take_all(&mut response, 2)?;
        let revoked: Vec<RevokedRow> = take_all(&mut response, 3)?;
        // A cookie that does not parse, is from another database, or is from
        // after a restore put this one back: start over from nothing.
        let reset = match &parsed {
            None => false,
            Some(None) => true,
            Some(Some((epoch, _))) => *epoch != counter.epoch || (counter.current as u64) < since,
        };
        if reset && since > 0 {
            return Box::pin(self.pull(viewer, None, limit)).await.map(|p| PullPage { reset: true, ..p });
        }

        // A full page ends at the lowest "last version" of the two lists; the
        // changes sharing that version (a merge writes two archives) are
        // completed so that the next page can start strictly after it.
        let full = |len: usize| len as u32 >= limit;
        let mut upper = counter.current as u64;
        if full(rows.len()) {
            upper = upper.min(rows.last().map_or(upper, |r| r.version as u64));
        }
        if full(revoked.len()) {
            upper = upper.min(revoked.last().map_or(upper, |r| r.version as u64));
        }
        let more = upper < counter.current as u64;
        let cut = full(rows.len()) || full(revoked.len());
        rows.retain(|r| r.version as u64 <= upper);
        let mut revoked: Vec<RevokedRow> =
            revoked.into_iter().filter(|r| r.version as u64 <= upper).collect();
        if cut {
            let mut rest = self
                .db
                .query(format!(
                    "SELECT {columns} FROM customer WHERE version = $upper AND {scope_sql};
                     SELECT customer, version FROM revocation WHERE version = $upper AND {revocation_sql};"
                ))
                .bind(("upper", upper as i64))
                .bind(("team", viewer.team.clone().unwrap_or_default()))
                .bind(("user", viewer.user.0.clone()))
                .await
                .map_err(StoreError::from_db)?;
            let extra_rows: Vec<PullRow> = take_all(&mut rest, 0)?;
            let extra_revoked: Vec<RevokedRow> = take_all(&mut rest, 1)?;
            for extra in extra_rows {
                if !rows.iter().any(|r| r.id == extra.id) {
                    rows.push(extra);
                }
            }
            for extra in extra_revoked {
                if !revoked.iter().any(|r| r.customer == extra.customer && r.version == extra.version) {
                    revoked.push(extra);
                }
            }
        }

        let mut changes: Vec<(u64, Pulled)> = Vec::with_capacity(rows.len() + revoked.len());
        let mut visible: BTreeSet<String> = BTreeSet::new();
        for row in rows {
            let mut customer: Customer = serde_json::from_str(&row.doc).map_err(|error| {
                tracing::error!(%error, customer = %row.id, "stored archive does not parse");
                StoreError::Other
            })?;
            let sight = policy::sight(viewer, placement(&customer, row.team.as_deref()));
            let version = row.version as u64;
            match sight {
                Sight::Hidden => {}
                _ if customer.deleted() => {
                    changes.push((version, Pulled::Delete { id: customer.id, version }))
                }
                sight => {
                    let masked = sight == Sight::Masked;
                    if masked {
                        policy::mask(&mut customer);
                    }
                    visible.insert(row.id);
                    let keys = SearchKeys { pinyin: row.pinyin, initials: row.initials };
                    changes.push((version, Pulled::Put { customer: Box::new(customer), masked, keys }));
                }
            }
        }
        for revoked in revoked {
            if visible.contains(&revoked.customer) || self.visible_to(viewer, &revoked.customer).await? {
                continue;
            }
            let Ok(id) = revoked.customer.parse() else { continue };
            changes.push((revoked.version as u64, Pulled::Delete { id, version: revoked.version as u64 }));
        }
        changes.sort_by_key(|(version, _)| *version);
        Ok(PullPage {
            changes: changes.into_iter().map(|(_, c)| c).collect(),
            cookie: format!("{}.{upper}", counter.epoch),
            more,
            reset,
            head: counter.current as u64,
        })
    }

    /// Whether `viewer` can currently see the archive `id`.
    async fn visible_to(&self, viewer: &Viewer, id: &str) -> Result<bool, StoreError> {
        Ok(self.customer_for(viewer, id).await?.is_some())
    }

    /// The archive `id` as `viewer` may see it (masked when they must not see
    /// sensitive fields), or `None` when it does not exist for them.
    pub async fn customer_for(
        &self,
        viewer: &Viewer,
        id: &str,
    ) -> Result<Option<(Customer, Sight)>, StoreError> {
        // Only a well-formed id can name an archive (and reach the query).
        if id.parse::<CustomerId>().is_err() {
            return Ok(None);
        }
        let mut response = self
            .db
            .query("SELECT record::id(id) AS id, doc, version, team FROM type::record('customer', $id)")
            .bind(("id", id.to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        let Some(row): Option<PullRow> = take_one(&mut response, 0)? else { return Ok(None) };
        seen_by(viewer, &row)
    }
}

/// The archive in `row` as `viewer` may see it: masked when they must not
/// see sensitive fields, `None` when it is deleted or hidden from them.
pub(crate) fn seen_by(viewer: &Viewer, row: &PullRow) -> Result<Option<(Customer, Sight)>, StoreError> {
    let mut customer: Customer = serde_json::from_str(&row.doc).map_err(|error| {
        tracing::error!(%error, customer = %row.id, "stored archive does not parse");
        StoreError::Other
    })?;
    let sight = policy::sight(viewer, placement(&customer, row.team.as_deref()));
    match sight {
        Sight::Hidden => Ok(None),
        _ if customer.deleted() => Ok(None),
        Sight::Masked => {
            policy::mask(&mut customer);
            Ok(Some((customer, sight)))
        }
        Sight::Full => Ok(Some((customer, sight))),
    }
}

#[derive(Deserialize)]
pub(crate) struct PullRow {
    id: String,
    doc: String,
    version: i64,
    team: Option<String>,
    #[serde(default)]
    pinyin: String,
    #[serde(default)]
    initials: String,
}

#[derive(Deserialize)]
struct RevokedRow {
    customer: String,
    version: i64,
}

/// A cookie's database epoch and version, if it is one.
fn parse_cookie(cookie: &str) -> Option<(String, u64)> {
    let (epoch, version) = cookie.rsplit_once('.')?;
    Some((epoch.to_owned(), version.parse().ok()?))
}

/// How much of a refused mutation the log keeps.
const LOGGED_BODY_CHARS: usize = 500;

/// The largest sequence number a client may use (2^53 - 1).
pub const MAX_SEQ: u64 = (1 << 53) - 1;

fn check_batch_shape(client: ClientId, mutations: &[Mutation]) -> Result<(), StoreError> {
    let bad = |code: &str, message: String| Err(StoreError::BadRequest { code: code.into(), message });
    if mutations.is_empty() {
        return bad("sync.empty", "a push carries at least one mutation".into());
    }
    if mutations.len() > MAX_BATCH {
        return bad("sync.too_many", format!("a push carries at most {MAX_BATCH} mutations"));
    }
    if let Some(m) = mutations.iter().find(|m| m.client != client) {
        return bad("sync.client_mismatch", format!("mutation {} was made by another client", m.id));
    }
    if mutations[0].seq == 0 {
        return bad("sync.sequence_order", "sequence numbers start at 1".into());
    }
    // Sequence numbers are stored as signed 64-bit integers and read by
    // JavaScript: beyond 2^53 neither holds them exactly.
    if let Some(m) = mutations.iter().find(|m| m.seq > MAX_SEQ) {
        return bad("sync.sequence_order", format!("sequence {} is beyond the largest, {MAX_SEQ}", m.seq));
    }
    if let Some(m) = mutations.iter().find(|m| m.client_time.check("client_time").is_err()) {
        return bad(
            "sync.client_time",
            format!("mutation {} carries a time outside the years 1900 to 2999", m.id),
        );
    }
    if let Some(pair) = mutations.windows(2).find(|w| w[1].seq != w[0].seq + 1) {
        return bad(
            "sync.sequence_order",
            format!("sequence {} follows {}; a push carries consecutive numbers", pair[1].seq, pair[0].seq),
        );
    }
    Ok(())
}

/// The rows of statement `index`, read as JSON and then as `T`.
pub(crate) fn take_all<T: serde::de::DeserializeOwned>(
    response: &mut surrealdb::IndexedResults,
    index: usize,
) -> Result<Vec<T>, StoreError> {
    let rows: Vec<Value> = response.take(index).map_err(StoreError::from_db)?;
    rows.into_iter()
        .map(|r| {
            serde_json::from_value(r).map_err(|error| {
                tracing::error!(%error, "a stored row does not have the expected shape");
                StoreError::Other
            })
        })
        .collect()
}

/// The first row of statement `index`, if any.
pub(crate) fn take_one<T: serde::de::DeserializeOwned>(
    response: &mut surrealdb::IndexedResults,
    index: usize,
) -> Result<Option<T>, StoreError> {
    Ok(take_all(response, index)?.into_iter().next())
}
