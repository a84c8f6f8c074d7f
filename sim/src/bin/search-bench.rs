//! `search-bench`: seeds the analytics benchmark's company (100,000
//! archives by default, each with a name, a mobile and a city) into the
//! real store, then times each kind of server search as an admin and as a
//! manager, the list as it opens (`list`, nothing typed) and the duplicate
//! hint a new customer form asks for; then the daily reminders run over the
//! same archives (dry: it reads every kept archive, as each night does).
//! Not part of the test run.
//!
//! ```text
//! cargo run --release -p sim --bin search-bench -- [--customers N] [--runs N] [--engine surrealkv|mem]
//! ```
//!
//! One line per kind and viewer:
//! `search-bench: customers=N query=KIND viewer=WHO p50_ms=N p95_ms=N hits=N`,
//! then `search-bench: customers=N job=reminders ms=N scanned=N due=N`.

use std::time::Instant;

use domain::dedup::search_keys;
use domain::ids::UserId;
use domain::policy::{Role, Viewer};
use sim::company::{TEAMS, bench_store, created_only, identity};
use store::CustomerQuery;

struct Options {
    customers: usize,
    runs: usize,
    engine: String,
}

fn options() -> Result<Options, String> {
    let mut options = Options { customers: 100_000, runs: 40, engine: "surrealkv".into() };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--customers" => {
                options.customers = value()?.parse().map_err(|_| "--customers takes a number")?
            }
            "--runs" => options.runs = value()?.parse().map_err(|_| "--runs takes a number")?,
            "--engine" => options.engine = value()?,
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: search-bench [--customers N] [--runs N] [--engine surrealkv|mem]"
                ));
            }
        }
    }
    Ok(options)
}

/// What a person types for each kind of search, about archive `i`.
fn typed(kind: &str, i: usize) -> String {
    let (name, mobile, _) = identity(i);
    let keys = search_keys(&name);
    match kind {
        "name" => name,
        "surname" => name.chars().take(1).collect(),
        "pinyin" => keys.pinyin,
        "initials" => keys.initials,
        "mobile" => mobile,
        "mobile_tail" => mobile[mobile.len() - 4..].to_owned(),
        // The list as it opens, newest first, before anything is typed.
        "list" => String::new(),
        _ => unreachable!("a kind listed in main"),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), String> {
    store::without_tracing();
    let options = options()?;
    let today = store::today();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = bench_store(&options.engine, dir.path()).await?;
    let seeding = Instant::now();
    let archives: Vec<_> = (0..options.customers).map(|i| created_only(i, today)).collect();
    store.bulk_load_for_benchmark(&archives).await.map_err(|e| e.to_string())?;
    println!(
        "search-bench: engine={} customers={} seeded_s={:.1}",
        options.engine,
        options.customers,
        seeding.elapsed().as_secs_f64()
    );

    let admin = Viewer { user: UserId("root".into()), role: Role::Admin, team: None };
    let manager =
        Viewer { user: UserId("manager-3".into()), role: Role::Manager, team: Some("team-3".into()) };
    // Spread over the archive, different each run; for the manager, in
    // their team (archive `i` is kept by rep `i % REPS`, of team `rep % TEAMS`).
    let pick = |run: usize, team: Option<usize>| {
        let i = (run * 7919 + 13) % options.customers;
        match team {
            Some(team) => (i - i % TEAMS + team) % options.customers,
            None => i,
        }
    };
    let n = options.customers;
    let mut worst: f64 = 0.0;
    for kind in ["list", "name", "surname", "pinyin", "initials", "mobile", "mobile_tail", "duplicate_hint"] {
        for (who, viewer, team) in [("admin", &admin, None), ("manager", &manager, Some(3))] {
            let mut times = Vec::with_capacity(options.runs);
            let mut hits = 0;
            for run in 0..options.runs {
                let i = pick(run, team);
                let started = Instant::now();
                if kind == "duplicate_hint" {
                    // A new customer typed with an existing name and mobile.
                    let (mut draft, _) = created_only(i, today);
                    draft.id = domain::ids::CustomerId::new();
                    hits += store.duplicate_hints(viewer, &draft).await.map_err(|e| e.to_string())?.len();
                } else {
                    // What the customer list asks for: one page.
                    let query = CustomerQuery {
                        text: Some(typed(kind, i)).filter(|t| !t.is_empty()),
                        limit: 100,
                        ..Default::default()
                    };
                    hits += store.list_customers(viewer, &query).await.map_err(|e| e.to_string())?.len();
                }
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            let p95 = percentile(&times, 0.95);
            worst = worst.max(p95);
            println!(
                "search-bench: customers={n} query={kind} viewer={who} p50_ms={:.1} p95_ms={p95:.1} hits={}",
                percentile(&times, 0.5),
                hits / options.runs
            );
        }
    }
    let started = Instant::now();
    let run = store.run_reminders(today, today, true).await.map_err(|e| e.to_string())?;
    println!(
        "search-bench: customers={n} job=reminders ms={:.0} scanned={} due={}",
        started.elapsed().as_secs_f64() * 1000.0,
        run.scanned,
        run.due.len()
    );
    println!("search-bench: customers={n} worst_p95_ms={worst:.1}");
    Ok(())
}
