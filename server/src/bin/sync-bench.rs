//! `sync-bench`: how fast the server takes pushes and serves a first pull,
//! next to a raw SurrealDB batched insert of the same documents, all on the
//! embedded SurrealKV engine in temporary directories.
//!
//! `cargo run --release -p server --bin sync-bench [-- --customers N]`
//!
//! Its last line: `sync-bench: push_per_s=… raw_per_s=… ratio=… pull_5k_ms=…
//! concurrent_per_s=… concurrent_p95_ms=…`.

use std::time::Instant;

use domain::archive::{Fields, LabelledPhone, PhoneLabel};
use domain::ids::{CustomerId, UserId};
use domain::mutation::Sequencer;
use domain::policy::Role;
use domain::sync::{Outcome, Pulled};
use domain::time::{Date, Timestamp};
use domain::{Change, CustomerName, Phone};
use serde_json::json;
use store::{NewUser, Store};

const BATCH: usize = 100;

fn customers_from_args() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--customers")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(5000)
}

fn fields(i: usize, owner: &UserId) -> Fields {
    let mut fields = Fields::named(CustomerName::parse(&format!("客户{i:05}")).expect("name"));
    fields.owner = Some(owner.clone());
    let number = format!("139{:08}", i);
    fields.phones =
        vec![LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse(&number).expect("phone") }];
    fields.region = Some(["华东", "华北", "华南", "西南"][i % 4].into());
    fields
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `RUST_LOG=store=debug` shows each push's check and commit times.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let total = customers_from_args();
    let dir = tempfile::tempdir()?;
    let url = format!("surrealkv://{}", dir.path().join("crm.db").display());
    let (store, _) = Store::open(&url, None).await?;
    let user = store
        .create_user(&NewUser {
            username: "bench".into(),
            display_name: "Bench".into(),
            role: Role::Rep,
            team: Some("bench".into()),
            password: "bench-password".into(),
        })
        .await?;
    let viewer = user.viewer();
    let today = Date::new(2026, 11, 23).expect("date");

    // Push: batches of 100 creates from one client, as a rep's outbox drains.
    let mut client = Sequencer::new(user.id.clone());
    let mutations: Vec<_> = (0..total)
        .map(|i| {
            let change = Change::Create { fields: Box::new(fields(i, &user.id)) };
            client.next(CustomerId::new(), change, Timestamp(1_700_000_000_000))
        })
        .collect();
    let started = Instant::now();
    let mut slowest = std::time::Duration::ZERO;
    let mut first = None;
    for batch in mutations.chunks(BATCH) {
        let timer = Instant::now();
        let reply = store.push(&viewer, client.client, batch, today).await?;
        let took = timer.elapsed();
        first.get_or_insert(took);
        slowest = slowest.max(took);
        if let Some(bad) = reply.results.iter().find(|r| !matches!(r.outcome, Outcome::Applied { .. })) {
            return Err(format!("push did not apply: {bad:?}").into());
        }
    }
    let push_secs = started.elapsed().as_secs_f64();
    let push_per_s = total as f64 / push_secs;
    println!("push: {total} creates in batches of {BATCH}: {push_secs:.2} s, {push_per_s:.0} mutations/s");
    println!(
        "push: first batch {} ms, slowest {} ms",
        first.unwrap_or_default().as_millis(),
        slowest.as_millis()
    );

    // Pull: the whole portfolio from an empty cookie, in pages of 1,000.
    let started = Instant::now();
    let mut cookie: Option<String> = None;
    let mut documents = Vec::with_capacity(total);
    loop {
        let page = store.pull(&viewer, cookie.as_deref(), 1000).await?;
        for change in page.changes {
            if let Pulled::Put { customer, .. } = change {
                documents.push(customer);
            }
        }
        cookie = Some(page.cookie.to_string());
        if !page.more {
            break;
        }
    }
    let pull_ms = started.elapsed().as_millis();
    println!("pull: {} archives in {pull_ms} ms", documents.len());
    if documents.len() != total {
        return Err(format!("pulled {} archives, pushed {total}", documents.len()).into());
    }
    store.close(std::time::Duration::from_secs(30)).await?;

    let (concurrent_per_s, concurrent_p95_ms) = concurrent_pushes().await?;

    // Raw: the same documents inserted straight into SurrealDB, 100 rows
    // per transaction, with no checks, no log, no audit, no projections.
    let raw_dir = tempfile::tempdir()?;
    let db =
        surrealdb::engine::any::connect(format!("surrealkv://{}", raw_dir.path().join("raw.db").display()))
            .await?;
    db.use_ns("bench").use_db("bench").await?;
    let rows: Vec<serde_json::Value> = documents
        .iter()
        .map(|c| {
            json!({
                "doc": serde_json::to_string(c).unwrap_or_default(),
                "version": c.version,
                "name": c.fields.name.as_str(),
                "owner": c.fields.owner.as_ref().map(|o| o.0.clone()),
            })
        })
        .collect();
    let started = Instant::now();
    for batch in rows.chunks(BATCH) {
        db.query("BEGIN TRANSACTION; INSERT INTO raw_customer $rows; COMMIT TRANSACTION;")
            .bind(("rows", serde_json::Value::Array(batch.to_vec())))
            .await?
            .check()?;
    }
    let raw_secs = started.elapsed().as_secs_f64();
    let raw_per_s = total as f64 / raw_secs;
    println!("raw: {total} rows in batches of {BATCH}: {raw_secs:.2} s, {raw_per_s:.0} rows/s");

    println!(
        "sync-bench: push_per_s={push_per_s:.0} raw_per_s={raw_per_s:.0} ratio={:.2} pull_5k_ms={pull_ms} \
         concurrent_per_s={concurrent_per_s:.0} concurrent_p95_ms={concurrent_p95_ms}",
        push_per_s / raw_per_s
    );
    Ok(())
}

/// Clients pushing at once, as a company's reps do: each of them sends
/// pushes of five creates, one after another, all clients together. Returns
/// mutations per second and the 95th percentile of a push's time.
async fn concurrent_pushes() -> Result<(f64, u128), Box<dyn std::error::Error>> {
    const CLIENTS: usize = 100;
    const PUSHES: usize = 4;
    const MUTATIONS: usize = 5;
    let dir = tempfile::tempdir()?;
    let (store, _) =
        Store::open(&format!("surrealkv://{}", dir.path().join("crm.db").display()), None).await?;
    let user = store
        .create_user(&NewUser {
            username: "crowd".into(),
            display_name: "Crowd".into(),
            role: Role::Rep,
            team: Some("bench".into()),
            password: "bench-password".into(),
        })
        .await?;
    let today = Date::new(2026, 11, 23).expect("date");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (store, user) = (store.clone(), user.clone());
        tasks.push(tokio::spawn(async move {
            let mut client = Sequencer::new(user.id.clone());
            let mut times = Vec::new();
            for p in 0..PUSHES {
                let batch: Vec<_> = (0..MUTATIONS)
                    .map(|m| {
                        let i = (c * PUSHES + p) * MUTATIONS + m;
                        let change = Change::Create { fields: Box::new(fields(i, &user.id)) };
                        client.next(CustomerId::new(), change, Timestamp(1_700_000_000_000))
                    })
                    .collect();
                let timer = Instant::now();
                let reply = store
                    .push(&user.viewer(), client.client, &batch, today)
                    .await
                    .map_err(|e| e.to_string())?;
                times.push(timer.elapsed().as_millis());
                if reply.results.iter().any(|r| !matches!(r.outcome, Outcome::Applied { .. })) {
                    return Err("a concurrent push did not apply".to_owned());
                }
            }
            Ok(times)
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    times.sort_unstable();
    let p95 = times[times.len() * 95 / 100];
    let groups = store.push_groups();
    let total = CLIENTS * PUSHES * MUTATIONS;
    println!(
        "concurrent: {CLIENTS} clients x {PUSHES} pushes of {MUTATIONS}: {secs:.2} s, {:.0} mutations/s, \
         push p50 {} ms p95 {p95} ms, {} pushes in {} transactions",
        total as f64 / secs,
        times[times.len() / 2],
        groups.pushes,
        groups.commits
    );
    store.close(std::time::Duration::from_secs(30)).await?;
    Ok((total as f64 / secs, p95))
}
