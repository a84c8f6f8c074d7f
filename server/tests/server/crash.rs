//! The real binary killed with SIGKILL while clients push: whatever it
//! acknowledged is there after the restart, and nothing took effect twice;
//! alone on its embedded engine, and as one of two app servers on a
//! SurrealDB server.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use domain::archive::{Fields, Interaction, InteractionKind};
use domain::ids::{CustomerId, ItemId, MutationId};
use domain::mutation::Sequencer;
use domain::time::Timestamp;
use domain::{Change, CustomerName, Mutation};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use surreal_process::{DatabaseProcess, ROOT_PASSWORD, ROOT_USER, Storage};

use crate::support::{PASSWORD, ServerProcess, run_command, start_binary};

/// A client that keeps its outbox until the server answers, like a browser.
struct Pusher {
    http: reqwest::Client,
    cookie: String,
    sequencer: Sequencer,
    outbox: Vec<Mutation>,
    customers: Vec<CustomerId>,
    made: u64,
}

/// What the server acknowledged: mutation, its archive, and the visit it adds if any.
#[derive(Default)]
struct Acknowledged {
    outcomes: BTreeMap<MutationId, String>,
    creates: BTreeSet<CustomerId>,
    visits: Vec<(CustomerId, ItemId)>,
}

async fn sign_in(http: &reqwest::Client, base: &str) -> Option<String> {
    let response = http
        .post(format!("{base}/api/auth/sign_in"))
        .form(&[("username", "root"), ("password", PASSWORD)])
        .send()
        .await
        .ok()?;
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("crm_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

impl Pusher {
    /// Tops the outbox up with a new archive or a visit to one already made.
    fn make(&mut self) {
        while self.outbox.len() < 8 {
            self.made += 1;
            let now = Timestamp(1_795_000_000_000 + self.made as i64);
            let mutation = if self.made % 3 == 1 || self.customers.is_empty() {
                let id = CustomerId::new();
                let mut fields = Fields::named(CustomerName::parse(&format!("客户{}", self.made)).unwrap());
                fields.owner = Some(self.sequencer.author.clone());
                self.customers.push(id);
                self.sequencer.next(id, Change::Create { fields: Box::new(fields) }, now)
            } else {
                let customer = self.customers[self.made as usize % self.customers.len()];
                let interaction = Interaction {
                    kind: InteractionKind::Call,
                    at: now,
                    summary: format!("电话{}", self.made),
                    satisfaction: None,
                    next_follow_up: None,
                };
                self.sequencer.next(
                    customer,
                    Change::PutInteraction { id: ItemId::new(), interaction, base: 0 },
                    now,
                )
            };
            self.outbox.push(mutation);
        }
    }

    /// One push of the outbox; what the server acknowledged goes into `acked`.
    async fn push(&mut self, base: &str, acked: &Mutex<Acknowledged>) {
        let body = json!({ "client": self.sequencer.client, "mutations": self.outbox });
        let sent = self
            .http
            .post(format!("{base}/api/sync/push"))
            .header("cookie", &self.cookie)
            .json(&body)
            .timeout(Duration::from_secs(20))
            .send()
            .await;
        let Ok(response) = sent else { return };
        if response.status() == 401 || response.status() == 403 {
            if let Some(cookie) = sign_in(&self.http, base).await {
                self.cookie = cookie;
            }
            return;
        }
        if response.status() != 200 {
            return;
        }
        let Ok(reply) = response.json::<Value>().await else { return };
        let mut acked = acked.lock().await;
        for result in reply["results"].as_array().into_iter().flatten() {
            let id: MutationId = serde_json::from_value(result["id"].clone()).unwrap();
            let status = result["outcome"]["status"].as_str().unwrap_or_default().to_owned();
            let mutation = self.outbox.iter().find(|m| m.id == id).unwrap();
            if status != "rejected" {
                match &mutation.change {
                    Change::Create { .. } => {
                        acked.creates.insert(mutation.customer);
                    }
                    Change::PutInteraction { id, .. } => acked.visits.push((mutation.customer, *id)),
                    _ => {}
                }
            }
            acked.outcomes.insert(id, status);
        }
        let last_seq = reply["last_seq"].as_u64().unwrap_or(0);
        self.outbox.retain(|m| m.seq > last_seq);
    }
}

/// A device that keeps pulling from its cookie while the servers take
/// pushes and die: if a pull ever moved its cookie past a change committed
/// later with a lower version, that change would never reach it.
struct Puller {
    http: reqwest::Client,
    cookie: String,
    sync_cookie: Value,
    /// Each archive's version as the pulls left it; gone when pulled as deleted.
    seen: HashMap<CustomerId, u64>,
}

impl Puller {
    /// One page; false when the server did not answer with one.
    async fn pull(&mut self, base: &str) -> bool {
        let sent = self
            .http
            .post(format!("{base}/api/sync/pull"))
            .header("cookie", &self.cookie)
            .json(&json!({ "cookie": self.sync_cookie, "limit": 200 }))
            .timeout(Duration::from_secs(20))
            .send()
            .await;
        let Ok(response) = sent else { return false };
        if response.status() != 200 {
            return false;
        }
        let Ok(page) = response.json::<domain::sync::PullPage>().await else { return false };
        for change in page.changes {
            match change {
                domain::sync::Pulled::Put { customer, .. } => {
                    self.seen.insert(customer.id, customer.version);
                }
                domain::sync::Pulled::Delete { id, .. } => {
                    self.seen.remove(&id);
                }
            }
        }
        self.sync_cookie = serde_json::to_value(&page.cookie).unwrap();
        page.more
    }
}

/// A small deterministic generator for the kill times, seeded per run.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_pushes_survive_sigkill_and_none_takes_effect_twice() {
    push_through_kills(1).await;
}

/// Two app servers on one SurrealDB server: every client sends each push to
/// the other server than the last, so the servers race for every version,
/// and one of them at a time is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_app_servers_on_one_database_lose_nothing_when_one_is_killed() {
    push_through_kills(2).await;
}

/// Clients push while an app server is killed with SIGKILL again and again;
/// then whatever any server acknowledged must be in the database, once.
/// One app server keeps the engine in its own process (SurrealKV); several
/// share a SurrealDB server process, as a company's deployment does.
async fn push_through_kills(app_servers: usize) {
    const CLIENTS: usize = 4;
    const KILLS: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let database = (app_servers > 1)
        .then(|| DatabaseProcess::start(Storage::Disk).expect("the SurrealDB server starts"));
    let url = match &database {
        Some(database) => database.url.clone(),
        None => format!("surrealkv://{}", dir.path().join("crm.db").display()),
    };
    let mut env = vec![("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    if database.is_some() {
        env.extend([("CRM_DATABASE_USER", ROOT_USER), ("CRM_DATABASE_PASSWORD", ROOT_PASSWORD)]);
    }
    let (code, out) = run_command(&["create-admin", "root"], &env, &format!("{PASSWORD}\n"));
    assert_eq!(code, Some(0), "{out}");
    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    eprintln!("crash: kill times seeded with {seed}");
    let mut rng = seed;

    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let mut pushers: Vec<Pusher> = Vec::new();
    let mut servers: Vec<Option<ServerProcess>> = (0..app_servers).map(|_| None).collect();
    let mut puller: Option<Puller> = None;
    let mut kills = 0;
    for round in 0..=KILLS {
        // Whichever server was killed starts again; the others kept serving.
        for server in &mut servers {
            if server.is_none() {
                *server = Some(start_binary(&env));
            }
        }
        let bases: Arc<Vec<String>> = Arc::new(servers.iter().flatten().map(|s| s.base.clone()).collect());
        if pushers.is_empty() {
            for _ in 0..CLIENTS {
                let http = reqwest::Client::new();
                let cookie = sign_in(&http, &bases[0]).await.expect("sign in");
                let sequencer = Sequencer::new(domain::ids::UserId("root".into()));
                pushers.push(Pusher {
                    http,
                    cookie,
                    sequencer,
                    outbox: Vec::new(),
                    customers: Vec::new(),
                    made: 0,
                });
            }
        }
        if puller.is_none() {
            let http = reqwest::Client::new();
            let cookie = sign_in(&http, &bases[0]).await.expect("sign in");
            puller = Some(Puller { http, cookie, sync_cookie: Value::Null, seen: HashMap::new() });
        }
        let last = round == KILLS;
        let stop = Arc::new(AtomicBool::new(false));
        let pulling = {
            let (mut puller, bases, stop) = (puller.take().expect("made above"), bases.clone(), stop.clone());
            tokio::spawn(async move {
                let mut turn = 0;
                while !stop.load(Ordering::Relaxed) {
                    if !puller.pull(&bases[turn % bases.len()]).await {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    turn += 1;
                }
                puller
            })
        };
        let mut tasks = Vec::new();
        for (n, mut pusher) in pushers.drain(..).enumerate() {
            let (bases, acked, stop) = (bases.clone(), acked.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                // The last round only drains what is left, so the check sees
                // a quiet server; a server that refuses forever fails the
                // outbox assertion below instead of hanging the test.
                let give_up = std::time::Instant::now() + Duration::from_secs(120);
                let mut turn = n;
                while !stop.load(Ordering::Relaxed) {
                    if !last {
                        pusher.make();
                    } else if pusher.outbox.is_empty() || std::time::Instant::now() > give_up {
                        break;
                    }
                    pusher.push(&bases[turn % bases.len()], &acked).await;
                    turn += 1;
                }
                pusher
            }));
        }
        if last {
            for task in tasks {
                pushers.push(task.await.unwrap());
            }
            stop.store(true, Ordering::Relaxed);
            let mut caught_up = pulling.await.unwrap();
            // Only from where its cookie stands: what it skipped stays skipped.
            let give_up = std::time::Instant::now() + Duration::from_secs(60);
            while caught_up.pull(&bases[0]).await && std::time::Instant::now() < give_up {}
            puller = Some(caught_up);
            for server in servers.iter_mut().filter_map(Option::take) {
                let (code, log) = server.terminate();
                assert_eq!(code, Some(0), "the server stops cleanly; its last words:\n{}", log.join("\n"));
            }
            break;
        }
        // Kill one server at a random moment while every client is pushing.
        tokio::time::sleep(Duration::from_millis(300 + next(&mut rng) % 1_500)).await;
        let mut victim = servers[round % app_servers].take().expect("it was started");
        victim.child.kill().unwrap();
        victim.child.wait().unwrap();
        kills += 1;
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            pushers.push(task.await.unwrap());
        }
        puller = Some(pulling.await.unwrap());
    }
    assert!(pushers.iter().all(|p| p.outbox.is_empty()), "every client drained its outbox");

    // Read the database the servers left behind.
    let root = database
        .is_some()
        .then(|| store::Credentials { username: ROOT_USER.into(), password: ROOT_PASSWORD.into() });
    let (store, _) = store::Store::open(&url, root.as_ref()).await.unwrap();
    let log = store.mutation_log().await.unwrap();
    let stamps = store.audit_stamps().await.unwrap();
    let head = store.head().await.unwrap();
    let archives: HashMap<CustomerId, domain::archive::Customer> =
        store.raw_customers().await.unwrap().into_iter().map(|c| (c.id, c)).collect();
    let acked = acked.lock().await;

    let mut logged: HashMap<MutationId, usize> = HashMap::new();
    for row in &log {
        *logged.entry(row.mutation).or_default() += 1;
    }
    for (id, status) in &acked.outcomes {
        assert_eq!(logged.get(id), Some(&1), "acknowledged mutation {id} ({status}) is logged once");
    }
    assert!(logged.values().all(|n| *n == 1), "no mutation is logged twice");
    for id in &acked.creates {
        assert!(archives.contains_key(id), "acknowledged archive {id} survived");
    }
    for (customer, item) in &acked.visits {
        assert!(archives[customer].interactions.contains_key(item), "acknowledged visit {item} survived");
    }
    let mut versions: BTreeMap<u64, BTreeSet<MutationId>> = BTreeMap::new();
    for stamp in &stamps {
        versions.entry(stamp.version).or_default().insert(stamp.mutation);
    }
    // The company's settings take versions of their own (the time zone, at start).
    let settings: BTreeSet<u64> = store.setting_versions().await.unwrap().into_iter().collect();
    for version in (1..=head).filter(|v| !settings.contains(v)) {
        assert_eq!(
            versions.get(&version).map_or(0, BTreeSet::len),
            1,
            "version {version} belongs to one mutation"
        );
    }
    // The device that pulled all along holds every archive at its last version.
    let pulled = puller.expect("it ran").seen;
    for (id, archive) in &archives {
        assert_eq!(pulled.get(id), Some(&archive.version), "the puller saw archive {id} at its last version");
    }
    assert_eq!(pulled.len(), archives.len(), "the puller holds no archive the database lacks");
    let applied = log.iter().filter(|r| r.status != "rejected").count() as u64;
    assert_eq!(applied + settings.len() as u64, head, "one version per applied mutation or setting");
    eprintln!(
        "crash: app_servers={app_servers} kills={kills} acknowledged={} applied={applied} archives={} visits={} lost=0 twice=0",
        acked.outcomes.len(),
        acked.creates.len(),
        acked.visits.len()
    );
    store.close(Duration::from_secs(30)).await.unwrap();
}
