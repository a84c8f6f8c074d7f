//! The real binary killed with SIGKILL while clients push: whatever it
//! acknowledged is there after the restart, and nothing took effect twice.

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

use crate::support::{PASSWORD, run_command, start_binary};

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

/// A small deterministic generator for the kill times, seeded per run.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_pushes_survive_sigkill_and_none_takes_effect_twice() {
    const CLIENTS: usize = 4;
    const KILLS: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("crm.db").display());
    let (code, out) = run_command(
        &["create-admin", "root"],
        &[("CRM_DATABASE_URL", url.as_str())],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, Some(0), "{out}");
    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    eprintln!("crash: kill times seeded with {seed}");
    let mut rng = seed;

    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let mut pushers: Vec<Pusher> = Vec::new();
    let env = [("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    let mut kills = 0;
    for round in 0..=KILLS {
        let mut server = start_binary(&env);
        let base = server.base.clone();
        if pushers.is_empty() {
            for _ in 0..CLIENTS {
                let http = reqwest::Client::new();
                let cookie = sign_in(&http, &base).await.expect("sign in");
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
        let last = round == KILLS;
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for mut pusher in pushers.drain(..) {
            let (base, acked, stop) = (base.clone(), acked.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                // The last round only drains what is left, so the check sees
                // a quiet server; a server that refuses forever fails the
                // outbox assertion below instead of hanging the test.
                let give_up = std::time::Instant::now() + Duration::from_secs(120);
                while !stop.load(Ordering::Relaxed) {
                    if !last {
                        pusher.make();
                    } else if pusher.outbox.is_empty() || std::time::Instant::now() > give_up {
                        break;
                    }
                    pusher.push(&base, &acked).await;
                }
                pusher
            }));
        }
        if last {
            for task in tasks {
                pushers.push(task.await.unwrap());
            }
            let (code, _) = server.terminate();
            assert_eq!(code, Some(0));
            break;
        }
        // Kill at a random moment while every client is pushing.
        tokio::time::sleep(Duration::from_millis(300 + next(&mut rng) % 1_500)).await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        kills += 1;
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            pushers.push(task.await.unwrap());
        }
    }
    assert!(pushers.iter().all(|p| p.outbox.is_empty()), "every client drained its outbox");

    // Read the directory the server left behind.
    let (store, _) = store::Store::open(&url, None).await.unwrap();
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
    for version in 1..=head {
        assert_eq!(
            versions.get(&version).map_or(0, BTreeSet::len),
            1,
            "version {version} belongs to one mutation"
        );
    }
    let applied = log.iter().filter(|r| r.status != "rejected").count() as u64;
    assert_eq!(applied, head, "one version per applied mutation");
    eprintln!(
        "crash: kills={kills} acknowledged={} applied={applied} archives={} visits={} lost=0 twice=0",
        acked.outcomes.len(),
        acked.creates.len(),
        acked.visits.len()
    );
    store.close(Duration::from_secs(30)).await.unwrap();
}
