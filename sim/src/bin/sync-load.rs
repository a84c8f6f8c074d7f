//! `sync-load`: many devices syncing against the real server binary over
//! loopback HTTP, for a fixed time. Prints throughput, latency percentiles,
//! errors and the server's peak memory. Not part of the test run.
//!
//! ```text
//! cargo build --release -p server --bin server
//! cargo build --release -p sim --bin sync-load
//! target/release/sync-load [--clients 1000] [--seconds 60] [--max-requests 500000]
//!                          [--think-ms 5000] [--server target/release/server]
//!                          [--app-servers 1]
//! ```
//!
//! Each device pushes a batch of five changes (resent until answered, as
//! the app's outbox is) and pulls, then waits half to one and a half think
//! times: the app syncs every 5 s while changes wait, so the default is a
//! team where everyone is editing at once.
//!
//! It starts its own server on 127.0.0.1 with a fresh SurrealKV directory,
//! creates reps through the admin API (ten devices per rep), and stops the
//! server at the end. Nothing leaves the machine. With `--app-servers N`
//! (N > 1) it starts a SurrealDB server process (the workspace's `surreal`
//! binary, beside this one) and N app servers on it; devices are spread
//! over them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use domain::archive::{Fields, Interaction, InteractionKind};
use domain::ids::{CustomerId, ItemId, UserId};
use domain::mutation::Sequencer;
use domain::time::Timestamp;
use domain::{Change, CustomerName};
use serde_json::{Value, json};
use sim::server_process::{ServerProcess, create_user, peak_mib_of, sign_in};
use surreal_process::{DatabaseProcess, ROOT_PASSWORD, ROOT_USER, Storage};
use tokio::sync::Mutex;

const USAGE: &str = "usage: sync-load [--clients N] [--seconds S] [--max-requests N] [--think-ms MS] \
                     [--server PATH] [--app-servers N]";
const PASSWORD: &str = "load-test-password";
/// Mutations per push: a rep's few edits since the last sync.
const BATCH: usize = 5;
const DEVICES_PER_REP: usize = 10;

struct Options {
    clients: usize,
    seconds: u64,
    max_requests: u64,
    think_ms: u64,
    server: std::path::PathBuf,
    app_servers: usize,
}

fn options() -> Result<Options, String> {
    let here = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut options = Options {
        clients: 1000,
        seconds: 60,
        max_requests: 500_000,
        think_ms: 5000,
        server: here.with_file_name("server"),
        app_servers: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs a value\n{USAGE}"))?;
        let number = || value.parse::<u64>().map_err(|_| format!("{arg} takes a number"));
        match arg.as_str() {
            "--clients" => options.clients = number()?.max(1) as usize,
            "--seconds" => options.seconds = number()?.clamp(1, 3600),
            "--max-requests" => options.max_requests = number()?.max(1),
            "--think-ms" => options.think_ms = number()?,
            "--server" => options.server = value.into(),
            "--app-servers" => options.app_servers = number()?.clamp(1, 8) as usize,
            _ => return Err(format!("unknown argument `{arg}`\n{USAGE}")),
        }
    }
    if !options.server.exists() {
        return Err(format!(
            "no server binary at {}: build it with `cargo build --release -p server --bin server` or pass --server",
            options.server.display()
        ));
    }
    Ok(options)
}

/// Latencies in microseconds and error counts, per request kind.
#[derive(Default)]
struct Figures {
    latencies: BTreeMap<&'static str, Vec<u64>>,
    errors: BTreeMap<String, u64>,
    mutations: u64,
}

struct Device {
    http: reqwest::Client,
    /// Sent but not answered: sent again until the server answers, as the
    /// app's outbox is, so sequence numbers never skip.
    outbox: Vec<domain::Mutation>,
    cookie: String,
    sequencer: Sequencer,
    customers: Vec<CustomerId>,
    pull_cookie: Option<String>,
    made: u64,
}

impl Device {
    fn batch(&mut self) -> Vec<domain::Mutation> {
        (0..BATCH)
            .map(|_| {
                self.made += 1;
                let now = Timestamp(1_795_000_000_000 + self.made as i64);
                if self.customers.len() < 3 || self.made.is_multiple_of(10) {
                    let id = CustomerId::new();
                    let name = CustomerName::parse(&format!("客户{}", self.made)).expect("a valid name");
                    let mut fields = Fields::named(name);
                    fields.owner = Some(self.sequencer.author.clone());
                    self.customers.push(id);
                    self.sequencer.next(id, Change::Create { fields: Box::new(fields) }, now)
                } else {
                    let customer = self.customers[self.made as usize % self.customers.len()];
                    let interaction = Interaction {
                        kind: InteractionKind::Visit,
                        at: now,
                        summary: "拜访".into(),
                        satisfaction: Some(4),
                        next_follow_up: None,
                    };
                    let change = Change::PutInteraction { id: ItemId::new(), interaction, base: 0 };
                    self.sequencer.next(customer, change, now)
                }
            })
            .collect()
    }
}

async fn request(
    device: &Device,
    base: &str,
    endpoint: &str,
    body: &Value,
    figures: &Mutex<Figures>,
    kind: &'static str,
) -> Option<Value> {
    let started = Instant::now();
    let sent = device
        .http
        .post(format!("{base}/api/{endpoint}"))
        .header("cookie", &device.cookie)
        .json(body)
        .timeout(Duration::from_secs(30))
        .send()
        .await;
    let outcome = match sent {
        Ok(response) if response.status() == 200 => {
            response.json::<Value>().await.map_err(|e| format!("{kind} body: {e}"))
        }
        Ok(response) => Err(format!("{kind} {}", response.status())),
        Err(error) if error.is_timeout() => Err(format!("{kind} timeout")),
        Err(_) => Err(format!("{kind} connection")),
    };
    let took = started.elapsed().as_micros() as u64;
    let mut figures = figures.lock().await;
    match outcome {
        Ok(value) => {
            figures.latencies.entry(kind).or_default().push(took);
            Some(value)
        }
        Err(error) => {
            *figures.errors.entry(error).or_default() += 1;
            None
        }
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sync-load: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let options = options()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let database = if options.app_servers > 1 { Some(DatabaseProcess::start(Storage::Disk)?) } else { None };
    let url = match &database {
        Some(database) => database.url.clone(),
        None => format!("surrealkv://{}", dir.path().join("crm.db").display()),
    };
    let mut env = vec![("CRM_DATABASE_URL", url.as_str())];
    if database.is_some() {
        env.extend([("CRM_DATABASE_USER", ROOT_USER), ("CRM_DATABASE_PASSWORD", ROOT_PASSWORD)]);
    }
    let mut servers = Vec::with_capacity(options.app_servers);
    for n in 0..options.app_servers {
        let admin = (n == 0).then_some(PASSWORD);
        servers.push(ServerProcess::start_on(&options.server, &env, admin, "warn,server=info")?);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let base = bases[0].clone();
    // One connection per device, as a thousand phones would open.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.clients)
        .build()
        .map_err(|e| e.to_string())?;

    let setup = Instant::now();
    let root = sign_in(&http, &base, "root", PASSWORD).await?;
    let reps = options.clients.div_ceil(DEVICES_PER_REP);
    for r in 0..reps {
        let (user, team) = (format!("load{r}"), format!("team{}", r % 10));
        create_user(&http, &base, &root, (&user, "rep", &team), PASSWORD).await?;
    }
    let mut devices = Vec::with_capacity(options.clients);
    for c in 0..options.clients {
        let user = format!("load{}", c / DEVICES_PER_REP);
        let cookie = sign_in(&http, &bases[c % bases.len()], &user, PASSWORD).await?;
        devices.push(Device {
            http: http.clone(),
            outbox: Vec::new(),
            cookie,
            sequencer: Sequencer::new(UserId(user)),
            customers: Vec::new(),
            pull_cookie: None,
            made: 0,
        });
    }
    eprintln!(
        "sync-load: {} reps, {} devices signed in in {:.1} s; running {} s",
        reps,
        options.clients,
        setup.elapsed().as_secs_f64(),
        options.seconds
    );

    let figures = Arc::new(Mutex::new(Figures::default()));
    let budget = Arc::new(AtomicU64::new(options.max_requests));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.seconds);
    let mut tasks = Vec::new();
    for (i, mut device) in devices.into_iter().enumerate() {
        let (base, figures, budget) = (bases[i % bases.len()].clone(), figures.clone(), budget.clone());
        let think = options.think_ms;
        tasks.push(tokio::spawn(async move {
            // Spread the first requests over one think time, as phones wake at different moments.
            tokio::time::sleep(Duration::from_millis(think * i as u64 / options.clients.max(1) as u64)).await;
            while Instant::now() < deadline && budget.fetch_sub(2, Ordering::Relaxed) >= 2 {
                if device.outbox.is_empty() {
                    device.outbox = device.batch();
                }
                let body = json!({ "client": device.sequencer.client, "mutations": device.outbox });
                if request(&device, &base, "sync/push", &body, &figures, "push").await.is_some() {
                    figures.lock().await.mutations += device.outbox.len() as u64;
                    device.outbox.clear();
                }
                let body = json!({ "cookie": device.pull_cookie, "limit": 100 });
                if let Some(page) = request(&device, &base, "sync/pull", &body, &figures, "pull").await {
                    device.pull_cookie = page["cookie"].as_str().map(str::to_owned);
                }
                // Jittered think time, so requests do not arrive in lockstep.
                let jitter = (device.made * 7919 + i as u64 * 104_729) % (think.max(1));
                tokio::time::sleep(Duration::from_millis(think / 2 + jitter)).await;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    // The busiest app server's peak, and the database server's if any.
    let peak = servers.iter().filter_map(ServerProcess::peak_mib).reduce(f64::max);
    let database_peak = database.as_ref().and_then(|d| peak_mib_of(d.id()));
    let mut figures = figures.lock().await;
    let mut requests = 0;
    for (kind, latencies) in figures.latencies.iter_mut() {
        latencies.sort_unstable();
        requests += latencies.len();
        println!(
            "sync-load: {kind}: {} ok, p50={:.1} ms p95={:.1} ms p99={:.1} ms max={:.1} ms",
            latencies.len(),
            percentile(latencies, 0.50),
            percentile(latencies, 0.95),
            percentile(latencies, 0.99),
            percentile(latencies, 1.0)
        );
    }
    let errors: u64 = figures.errors.values().sum();
    for (error, count) in &figures.errors {
        println!("sync-load: error {error}: {count}");
    }
    let all: Vec<u64> = {
        let mut all: Vec<u64> = figures.latencies.values().flatten().copied().collect();
        all.sort_unstable();
        all
    };
    println!(
        "sync-load: clients={} app_servers={} seconds={elapsed:.1} requests={requests} req_per_s={:.0} mutations_per_s={:.0} p50_ms={:.1} p95_ms={:.1} p99_ms={:.1} errors={errors} server_peak_mib={}{}",
        options.clients,
        options.app_servers,
        requests as f64 / elapsed,
        figures.mutations as f64 / elapsed,
        percentile(&all, 0.50),
        percentile(&all, 0.95),
        percentile(&all, 0.99),
        peak.map_or("unknown".into(), |p| format!("{p:.0}")),
        database_peak.map_or(String::new(), |p| format!(" database_peak_mib={p:.0}")),
    );
    Ok(())
}
