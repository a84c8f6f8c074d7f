//! `analytics-bench`: seeds a large company (100,000 customers with about
//! 1,000,000 orders by default) into the real store, then times each
//! dashboard query and a full RFM + churn scoring run, and checks that the
//! summaries kept up to date equal a recomputation from the archives.
//! Not part of the test run.
//!
//! ```text
//! cargo run --release -p sim --bin analytics-bench -- [--customers N] [--engine surrealkv|mem] [--dedup-only]
//! ```
//!
//! It also sweeps the archive for duplicates, as `server dedup-sweep` does:
//! every archive has a name, a mobile and a city, and one in 200 is a second
//! record of the one before it. `--dedup-only` seeds and sweeps, and stops.

use std::time::Instant;

use domain::Change;
use domain::analytics::dashboard;
use domain::analytics::numeric::SeededRandom;
use domain::analytics::summary::CustomerSummary;
use domain::apply::{ApplyContext, apply};
use domain::archive::{
    Customer, Feedback, FeedbackKind, FeedbackStatus, Interaction, InteractionKind, Order, Task, TaskKind,
};
use domain::ids::{CustomerId, ItemId, UserId};
use domain::money::{Currency, Money};
use domain::mutation::Sequencer;
use domain::policy::{Role, Viewer};
use domain::time::{Date, Timestamp};

use sim::company::{REPS, TEAMS, bench_store, created_only, identity_fields};
const DAY_MS: i64 = 86_400_000;

struct Options {
    customers: usize,
    engine: String,
    dedup_only: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options { customers: 100_000, engine: "surrealkv".into(), dedup_only: false };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--customers" => {
                options.customers = value()?.parse().map_err(|_| "--customers takes a number")?
            }
            "--engine" => options.engine = value()?,
            "--dedup-only" => options.dedup_only = true,
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: analytics-bench [--customers N] [--engine surrealkv|mem] [--dedup-only]"
                ));
            }
        }
    }
    Ok(options)
}

/// One customer's archive, built the only way archives are built: by
/// applying mutations. Purchases follow the BG/NBD story (a rate per
/// customer, a chance of dropping out after each purchase).
fn archive(i: usize, random: &mut SeededRandom, today: Date) -> (Customer, Option<String>) {
    let rep = i % REPS;
    let owner = UserId(format!("rep-{rep:03}"));
    let team = Some(format!("team-{}", rep % TEAMS));
    let mut client = Sequencer::new(owner.clone());
    let id = CustomerId::new();
    let today_day = today.days_since_epoch();
    let mut version = (i as u64) * 64;
    let mut current: Option<Customer> = None;
    let now = Timestamp(today_day * DAY_MS + 10 * 3_600_000);
    let mut step = |change: Change, current: &mut Option<Customer>| {
        version += 1;
        let mutation = client.next(id, change, now);
        let ctx = ApplyContext { version, today };
        let (after, _) = apply(current.as_ref(), &mutation, &ctx).expect("a valid seed change");
        *current = Some(after);
    };
    let age_days = 28 + (random.uniform() * 1064.0) as i64;
    step(Change::Create { fields: Box::new(identity_fields(i, &owner)) }, &mut current);

    if random.uniform() < 0.9 {
        let rate = random.gamma(1.0) / 2.8; // purchases per week while active
        let drop_out = random.beta(1.0, 10.0);
        let mut week = 0.0;
        let age_weeks = age_days as f64 / 7.0;
        loop {
            let day = today_day - age_days + (week * 7.0) as i64;
            let amount =
                Money { minor: (50.0 + random.uniform() * 4950.0) as i64 * 100, currency: Currency::cny() };
            let order = Order {
                product: "净水器滤芯".into(),
                quantity: 1,
                amount,
                date: Date::from_days_since_epoch(day),
                channel: None,
                ends_on: None,
            };
            step(Change::PutOrder { id: ItemId::new(), order, base: 0 }, &mut current);
            week += random.exponential(rate.max(1e-6));
            if week > age_weeks || random.uniform() < drop_out {
                break;
            }
        }
    }
    for kind in [InteractionKind::Call, InteractionKind::Visit] {
        let at = Timestamp(now.0 - (random.uniform() * 56.0) as i64 * DAY_MS);
        let satisfaction = Some(1 + (random.uniform() * 5.0) as u8 % 5);
        let interaction =
            Interaction { kind, at, summary: "回访".into(), satisfaction, next_follow_up: None };
        step(Change::PutInteraction { id: ItemId::new(), interaction, base: 0 }, &mut current);
    }
    if random.uniform() < 0.02 {
        let feedback = Feedback {
            kind: FeedbackKind::Complaint,
            content: "安装师傅迟到".into(),
            status: FeedbackStatus::Open,
            resolution: None,
            satisfaction: Some(2),
            received_at: Timestamp(now.0 - (random.uniform() * 30.0) as i64 * DAY_MS),
            severity: Default::default(),
        };
        step(Change::PutFeedback { id: ItemId::new(), feedback, base: 0 }, &mut current);
    }
    if random.uniform() < 0.1 {
        let due = Date::from_days_since_epoch(today_day - 14 + (random.uniform() * 28.0) as i64);
        let task = Task { kind: TaskKind::FollowUp, due, note: None, done: false, assignee: None };
        step(Change::PutTask { id: ItemId::new(), task, base: 0 }, &mut current);
    }
    (current.expect("created"), team)
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), String> {
    store::without_tracing();
    let options = options()?;
    let today = store::today();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = bench_store(&options.engine, dir.path()).await?;

    let started = Instant::now();
    let mut random = SeededRandom::new(2026);
    // A duplicates sweep reads names, phones and cities only: without orders
    // and contacts the seeding takes seconds, not minutes.
    let archives: Vec<(Customer, Option<String>)> = if options.dedup_only {
        (0..options.customers).map(|i| created_only(i, today)).collect()
    } else {
        (0..options.customers).map(|i| archive(i, &mut random, today)).collect()
    };
    let orders: usize = archives.iter().map(|(c, _)| c.orders.len()).sum();
    let built_ms = ms(started);
    let loading = Instant::now();
    store.bulk_load_for_benchmark(&archives).await.map_err(|e| e.to_string())?;
    println!(
        "analytics-bench: engine={} customers={} orders={orders} built_ms={built_ms:.0} loaded_ms={:.0}",
        options.engine,
        archives.len(),
        ms(loading)
    );
    drop(archives);

    // The duplicates sweep, as `server dedup-sweep` runs it.
    let sweeping = Instant::now();
    let report = store.dedup_sweep().await.map_err(|e| e.to_string())?;
    println!(
        "dedup: scanned={} pairs={} seconds={:.1}",
        report.scanned,
        report.pairs,
        sweeping.elapsed().as_secs_f64()
    );
    if options.dedup_only {
        return Ok(());
    }

    // A server starts with an empty cache: the first dashboard reads every summary.
    let cold = Instant::now();
    let (_, all) = store.summaries().await.map_err(|e| e.to_string())?;
    println!("analytics-bench: cache_cold_load_ms={:.0} summaries={}", ms(cold), all.len());

    let scoring = Instant::now();
    let run = store.scoring(today, 365, true).await.map_err(|e| e.to_string())?;
    let fit = run.scoring.fit.as_ref().map(|f| format!("{:?} loglik={:.1}", f.params, f.log_likelihood));
    println!(
        "analytics-bench: scoring_ms={:.0} (inside the run: {} ms) fit={fit:?}",
        ms(scoring),
        run.took_ms
    );

    let admin = Viewer { user: UserId("root".into()), role: Role::Admin, team: None };
    let manager =
        Viewer { user: UserId("manager-3".into()), role: Role::Manager, team: Some("team-3".into()) };
    let rep = Viewer { user: UserId("rep-042".into()), role: Role::Rep, team: Some("team-2".into()) };
    let day = today.days_since_epoch();
    let mut worst: f64 = 0.0;
    for (who, viewer) in [("admin", &admin), ("manager", &manager), ("rep", &rep)] {
        for (name, query) in [("overview", 0), ("satisfaction", 1), ("churn", 2), ("value", 3)] {
            let mut times = Vec::new();
            let mut rows = 0;
            for _ in 0..5 {
                let t = Instant::now();
                // The same store calls as the server functions make.
                let (mine, run) = if query < 2 {
                    (store.dashboard_summaries(viewer).await.map_err(|e| e.to_string())?, None)
                } else {
                    let (mine, run) =
                        store.scored_for(viewer, today, 365, false).await.map_err(|e| e.to_string())?;
                    (mine, Some(run))
                };
                let refs: Vec<&CustomerSummary> = mine.iter().map(|s| s.as_ref()).collect();
                rows = refs.len();
                match (query, run) {
                    (0, _) => drop(dashboard::overview(&refs, day)),
                    (1, _) => drop(dashboard::satisfaction(&refs, day)),
                    (2, Some(run)) => drop(dashboard::churn_warnings(&refs, &run.scoring.scores, 0.5, 500)),
                    (_, Some(run)) => {
                        drop(dashboard::value_report(&refs, &run.scoring.scores, run.scoring.window));
                        drop(dashboard::segment_customers(&refs, &run.scoring.scores, None, 500));
                    }
                    (_, None) => unreachable!("churn and value queries are scored"),
                }
                times.push(ms(t));
            }
            times.sort_by(f64::total_cmp);
            worst = worst.max(times[times.len() / 2]);
            println!(
                "analytics-bench: {name}_{who}_ms median={:.1} max={:.1} customers={rows}",
                times[times.len() / 2],
                times[times.len() - 1]
            );
        }
    }

    // Changes arrive; the next dashboard picks them up from the summaries.
    let mut client = Sequencer::new(admin.user.clone());
    let targets: Vec<CustomerId> = all.iter().take(100).map(|s| s.id).collect();
    let batch: Vec<domain::Mutation> = targets
        .iter()
        .map(|id| {
            let order = Order {
                product: "新滤芯".into(),
                quantity: 1,
                amount: Money { minor: 9_900, currency: Currency::cny() },
                date: today,
                channel: None,
                ends_on: None,
            };
            client.next(*id, Change::PutOrder { id: ItemId::new(), order, base: 0 }, Timestamp(day * DAY_MS))
        })
        .collect();
    let pushing = Instant::now();
    store.push(&admin, client.client, &batch, today).await.map_err(|e| e.to_string())?;
    let push_ms = ms(pushing);
    let refresh = Instant::now();
    let mine = store.dashboard_summaries(&admin).await.map_err(|e| e.to_string())?;
    let refs: Vec<&CustomerSummary> = mine.iter().map(|s| s.as_ref()).collect();
    let after = dashboard::overview(&refs, day);
    println!(
        "analytics-bench: push_100_orders_ms={push_ms:.0} overview_after_push_ms={:.1} revenue_this_month={}",
        ms(refresh),
        after.revenue_per_month.last().copied().unwrap_or(0)
    );

    // Scores follow the change without fitting the model again.
    let rescoring = Instant::now();
    let rescored = store.scoring(today, 365, false).await.map_err(|e| e.to_string())?;
    println!(
        "analytics-bench: rescore_after_push_ms={:.0} same_fit={}",
        ms(rescoring),
        rescored.fitted_at == run.fitted_at
    );

    let proving = Instant::now();
    let (_, cached) = store.summaries().await.map_err(|e| e.to_string())?;
    let mut cached: Vec<CustomerSummary> = cached.iter().map(|s| (**s).clone()).collect();
    let mut fresh = store.recomputed_summaries().await.map_err(|e| e.to_string())?;
    cached.sort_by_key(|s| s.id);
    fresh.sort_by_key(|s| s.id);
    let equal = cached == fresh;
    println!("analytics-bench: recompute_ms={:.0} cache_equals_recomputation={equal}", ms(proving));

    let rescoring = Instant::now();
    let run = store.scoring(today, 365, true).await.map_err(|e| e.to_string())?;
    let scoring_ms = ms(rescoring);
    println!(
        "analytics-bench: customers={} worst_dashboard_median_ms={worst:.1} scoring_ms={scoring_ms:.0} scored={} equal={equal}",
        cached.len(),
        run.scoring.scores.len()
    );
    drop(store);
    if equal { Ok(()) } else { Err("the cached summaries differ from a recomputation".into()) }
}
