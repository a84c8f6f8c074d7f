//! Taking a push: load what the batch touches, apply it in memory with the
//! shared domain code, commit everything in one transaction.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use domain::apply::{Applied, ApplyContext, Rejection, apply, apply_merge, server_checks};
use domain::archive::Customer;
use domain::ids::{ClientId, CustomerId, UserId};
use domain::policy::{self, Colleague, Viewer};
use domain::time::Date;
use domain::{Change, Mutation};
use serde::Deserialize;
use serde_json::{Value, json};

use super::rows::{
    audit_rows, customer_row, item_rows, json_string, name_of_change, placement, revocation_row,
};
use super::{CounterRow, MAX_BATCH, MutationResult, Outcome, PushReply};
use crate::query::{take_all, take_one, without_nulls};
use crate::{Store, StoreError};

/// How often a push starts again after losing a race before giving up.
const MAX_ATTEMPTS: u32 = 50;

fn retryable(error: &surrealdb::Error) -> bool {
    let text = error.to_string();
    text.contains("crm:stale") || text.contains("can be retried") || text.contains("already exists")
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
        let mut archives: HashMap<CustomerId, Loaded> = HashMap::new();
        for doc in docs {
            let customer: Customer = serde_json::from_str(&doc.doc).map_err(|error| {
                tracing::error!(%error, customer = %doc.id, "stored archive does not parse");
                StoreError::Other
            })?;
            archives
                .insert(customer.id, Loaded { original: Some(customer.clone()), current: Some(customer) });
        }
        let before = Before { version: counter.current as u64, last_seq, logged, archives };
        let plan = plan(viewer, client, mutations, before, &colleagues, today);
        if plan.mutations.is_empty() {
            return Ok(Attempt::Done(plan.reply));
        }
        let checked = checking.elapsed();
        let committing = std::time::Instant::now();
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
            .bind(("expected", plan.start_version as i64))
            .bind(("next", plan.version as i64))
            .bind(("client", client.to_string()))
            .bind(("user", viewer.user.0.clone()))
            .bind(("last_seq", plan.reply.last_seq as i64))
            .bind(("customers", Value::Array(plan.customers)))
            .bind(("items", Value::Array(plan.items)))
            .bind(("summaries", Value::Array(plan.summaries)))
            .bind(("mutations", Value::Array(plan.mutations)))
            .bind(("audit", Value::Array(plan.audit)))
            .bind(("opened", Value::Array(plan.opened)))
            .bind(("closed", Value::Array(plan.closed)))
            .bind(("revocations", Value::Array(plan.revocations)))
            .await
            .and_then(crate::error::explain);
        tracing::debug!(
            mutations = mutations.len(),
            check_ms = checked.as_millis() as u64,
            commit_ms = committing.elapsed().as_millis() as u64,
            "push transaction"
        );
        match committed {
            Ok(_) => Ok(Attempt::Done(plan.reply)),
            Err(error) if retryable(&error) => {
                tracing::debug!(%error, "push lost a race; starting again");
                Ok(Attempt::Lost)
            }
            Err(error) => Err(StoreError::from_db(error)),
        }
    }
}

/// How much of a refused mutation the log keeps.
const LOGGED_BODY_CHARS: usize = 500;

/// The largest sequence number a client may use (2^53 - 1).
const MAX_SEQ: u64 = (1 << 53) - 1;

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

/// What a push found before applying its batch.
struct Before {
    /// The sync counter.
    version: u64,
    /// The highest sequence number taken from this client.
    last_seq: u64,
    /// How earlier pushes of the batch's numbers ended, by sequence number.
    logged: HashMap<u64, Outcome>,
    /// The archives the batch touches, as stored.
    archives: HashMap<CustomerId, Loaded>,
}

/// Everything a push writes, decided in memory before anything is written.
struct Plan {
    /// The answer, once the rows are committed.
    reply: PushReply,
    /// The counter the rows were planned against; the commit checks it.
    start_version: u64,
    /// The counter after the batch.
    version: u64,
    customers: Vec<Value>,
    items: Vec<Value>,
    summaries: Vec<Value>,
    mutations: Vec<Value>,
    audit: Vec<Value>,
    opened: Vec<Value>,
    closed: Vec<Value>,
    revocations: Vec<Value>,
}

/// Applies `mutations` from `client`, as `viewer`, to what the database held
/// (`before`), in order: each is checked by the shared domain code and the
/// policy, stamped with the next version when it takes effect, and turned
/// into the rows to write. No I/O: the same inputs always plan the same rows.
fn plan(
    viewer: &Viewer,
    client: ClientId,
    mutations: &[Mutation],
    before: Before,
    colleagues: &HashMap<UserId, Colleague>,
    today: Date,
) -> Plan {
    let colleague = |user: &UserId| colleagues.get(user).cloned();
    let team_of = |owner: Option<&UserId>| -> Option<String> {
        owner.and_then(|o| colleagues.get(o)).and_then(|c: &Colleague| c.team.clone())
    };
    let Before { version: start_version, last_seq, logged, archives: mut loaded } = before;
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
            policy::check_mutation(viewer, mutation, current.map(sight_of), from.map(sight_of), &colleague)?;
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
                    let entry = loaded.entry(after.id).or_insert(Loaded { original: None, current: None });
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
    let last = mutations.last().map_or(0, |m| m.seq);
    let reply = PushReply { results, last_seq: last_seq.max(last) };
    let mut customers = Vec::new();
    let mut items = Vec::new();
    let mut summaries = Vec::new();
    for id in &touched {
        let entry = &loaded[id];
        let Some(after) = entry.current.as_ref() else { continue };
        let team = team_of(after.fields.owner.as_ref());
        customers.push(json!({ "key": id.to_string(), "row": customer_row(after, team.as_deref()) }));
        summaries.push(
            json!({ "key": id.to_string(), "row": crate::analytics::summary_row(after, team.as_deref()) }),
        );
        item_rows(entry.original.as_ref(), after, &mut items);
    }
    Plan {
        reply,
        start_version,
        version,
        customers,
        items,
        summaries,
        mutations: mutation_rows,
        audit,
        opened,
        closed,
        revocations,
    }
}

#[cfg(test)]
mod tests {
    use domain::archive::{FieldValue, Fields, LabelledPhone, PhoneLabel};
    use domain::mutation::FieldEdit;
    use domain::policy::Role;
    use domain::time::Timestamp;
    use domain::{CustomerName, Phone};

    use super::*;

    fn rep(name: &str) -> Viewer {
        Viewer { user: UserId(name.into()), role: Role::Rep, team: Some("north".into()) }
    }

    fn colleagues() -> HashMap<UserId, Colleague> {
        ["a", "b"].map(|u| (UserId(u.into()), Colleague { team: Some("north".into()), active: true })).into()
    }

    fn mutation(client: ClientId, seq: u64, author: &str, customer: CustomerId, change: Change) -> Mutation {
        Mutation {
            id: domain::ids::MutationId::new(),
            client,
            seq,
            author: UserId(author.into()),
            client_time: Timestamp(1_764_000_000_000),
            customer,
            change,
        }
    }

    fn create(owner: &str) -> Change {
        let mut fields = Fields::named(CustomerName::parse("张三").unwrap());
        fields.owner = Some(UserId(owner.into()));
        Change::Create { fields: Box::new(fields) }
    }

    fn phone(number: &str, base: u64) -> Change {
        let phone = LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse(number).unwrap() };
        Change::SetFields { edits: vec![FieldEdit { value: FieldValue::Phones(vec![phone]), base }] }
    }

    fn today() -> Date {
        Date::new(2026, 11, 23).unwrap()
    }

    fn nothing_stored(version: u64, last_seq: u64) -> Before {
        Before { version, last_seq, logged: HashMap::new(), archives: HashMap::new() }
    }

    #[test]
    fn a_batch_is_stamped_in_order_and_a_refused_mutation_writes_only_its_log_row() {
        let client = ClientId::new();
        let (mine, theirs) = (CustomerId::new(), CustomerId::new());
        let batch = [
            mutation(client, 1, "a", mine, create("a")),
            mutation(client, 2, "a", mine, phone("13800138000", 0)),
            // A rep may not create an archive kept by someone else.
            mutation(client, 3, "a", theirs, create("b")),
            mutation(client, 4, "a", mine, phone("13900139000", 0)),
        ];
        let plan = plan(&rep("a"), client, &batch, nothing_stored(40, 0), &colleagues(), today());

        let outcomes: Vec<&Outcome> = plan.reply.results.iter().map(|r| &r.outcome).collect();
        assert_eq!(outcomes[0], &Outcome::Applied { version: 41 });
        assert_eq!(outcomes[1], &Outcome::Applied { version: 42 });
        assert!(matches!(outcomes[2], Outcome::Rejected { code, .. } if code.starts_with("forbidden")));
        // The same author's later edit wins over their earlier one, no conflict.
        assert_eq!(outcomes[3], &Outcome::Applied { version: 43 });
        assert_eq!((plan.start_version, plan.version, plan.reply.last_seq), (40, 43, 4));

        assert_eq!(plan.mutations.len(), 4, "every mutation is logged, refused ones too");
        assert_eq!(plan.customers.len(), 1, "one row per archive, however often it changed");
        assert_eq!(plan.summaries.len(), 1);
        assert_eq!(plan.customers[0]["key"], mine.to_string());
        assert!(plan.opened.is_empty() && plan.revocations.is_empty());
        assert!(plan.audit.iter().all(|row| row["customer"] == mine.to_string()));
    }

    #[test]
    fn a_retried_batch_is_answered_from_the_log_and_plans_no_rows() {
        let client = ClientId::new();
        let customer = CustomerId::new();
        let batch = [
            mutation(client, 1, "a", customer, create("a")),
            mutation(client, 2, "a", customer, phone("13800138000", 0)),
        ];
        let first = plan(&rep("a"), client, &batch, nothing_stored(0, 0), &colleagues(), today());
        let logged: HashMap<u64, Outcome> =
            first.reply.results.iter().map(|r| (r.seq, r.outcome.clone())).collect();

        let again = Before { version: first.version, last_seq: 2, logged, archives: HashMap::new() };
        let retried = plan(&rep("a"), client, &batch, again, &colleagues(), today());
        assert_eq!(retried.reply, first.reply, "the same answer as the first time");
        assert!(retried.mutations.is_empty() && retried.customers.is_empty() && retried.audit.is_empty());
        assert_eq!(retried.version, first.version);
    }
}
