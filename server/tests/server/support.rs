//! Starting servers for tests: in-process on port 0, or the real binary.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use domain::archive::Fields;
use domain::ids::{CustomerId, UserId};
use domain::mutation::Sequencer;
use domain::policy::Role;
use domain::time::Timestamp;
use domain::{Change, CustomerName};
use serde_json::{Value, json};
use server::config::Settings;
use store::{HashedPassword, InitialPassword, NewUser, Store};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A server running inside the test process on a fresh in-memory database.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// The database it serves, for what the server does by itself.
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with_body_limit(max_body_bytes: usize) -> Self {
        Self::spawn_with(|settings| settings.max_body_bytes = max_body_bytes).await
    }

    /// A server whose settings `adjust` changes from the test defaults.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        store::without_tracing();
        let (store, _) = Store::open("mem://", None).await.expect("open store");
        create_people(&store).await;
        Self::serve(store, adjust).await
    }

    /// A server on the embedded on-disk engine in `dir`, for big
    /// transactions: the in-memory engine clones a transaction's writes over
    /// and over (half its time in copying a B-tree of them), and a push of
    /// 500 creates took it 15 s. The import test that pushes them takes 11 s
    /// in all on disk.
    pub async fn spawn_on_disk(dir: &std::path::Path, max_body_bytes: usize) -> Self {
        store::without_tracing();
        let url = format!("surrealkv://{}", dir.join("crm.db").display());
        let (store, _) = Store::open(&url, None).await.expect("open store");
        create_people(&store).await;
        Self::serve(store, |settings| {
            settings.database_url = url;
            settings.max_body_bytes = max_body_bytes;
        })
        .await
    }

    /// Two app servers on one SurrealDB server, as a company runs them.
    pub async fn pair_on(database: &surreal_process::DatabaseProcess) -> (Self, Self) {
        store::without_tracing();
        let root = store::Credentials {
            username: surreal_process::ROOT_USER.into(),
            password: surreal_process::ROOT_PASSWORD.into(),
        };
        let (first, _) = Store::open(&database.url, Some(&root)).await.expect("open the first app server");
        let (second, _) = Store::open(&database.url, Some(&root)).await.expect("open the second app server");
        create_people(&first).await;
        (Self::serve(first, |_| {}).await, Self::serve(second, |_| {}).await)
    }

    async fn serve(store: Store, adjust: impl FnOnce(&mut Settings)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let mut settings = Settings {
            database_url: "mem://".into(),
            addr,
            max_body_bytes: 64 * 1024,
            ..Settings::default()
        };
        adjust(&mut settings);
        let (stop, stopped) = oneshot::channel::<()>();
        let served = store.clone();
        tokio::spawn(async move {
            server::startup::serve(listener, served, &settings, async {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        // Responses exactly as sent: the compression tests read the encoding.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_gzip()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap();
        Self { base: format!("http://{addr}"), client, store, stop: Some(stop) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs `user` in and returns their session.
    pub async fn sign_in(&self, user: &str) -> Session {
        Session::sign_in(&self.base, user, PASSWORD).await
    }
}

/// [`PASSWORD`] hashed once for every test in this binary: argon2 is slow on
/// purpose, and six people per test added up.
fn hashed_password() -> HashedPassword {
    static HASH: std::sync::OnceLock<HashedPassword> = std::sync::OnceLock::new();
    HASH.get_or_init(|| HashedPassword::new(PASSWORD).expect("a valid password")).clone()
}

async fn create_people(store: &Store) {
    for (user, role, team) in PEOPLE {
        store
            .create_user(&NewUser {
                username: (*user).into(),
                display_name: format!("User {user}"),
                role: *role,
                team: team.map(Into::into),
                password: InitialPassword::Hashed(hashed_password()),
            })
            .await
            .expect("create user");
    }
}

/// `a`, `b`: reps in north; `c`: rep in south; `m`: north's manager;
/// `n`: south's manager; `root`: admin.
pub const PEOPLE: &[(&str, Role, Option<&str>)] = &[
    ("a", Role::Rep, Some("north")),
    ("b", Role::Rep, Some("north")),
    ("c", Role::Rep, Some("south")),
    ("m", Role::Manager, Some("north")),
    ("n", Role::Manager, Some("south")),
    ("root", Role::Admin, None),
];

pub const PASSWORD: &str = "correct horse battery";

/// Longest any request of a test may take: an answer that never completes
/// fails the test instead of hanging the whole run.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A signed-in user talking to the server over HTTP, with their own client
/// id and sequence numbers, like a browser.
pub struct Session {
    pub base: String,
    pub client: reqwest::Client,
    pub cookie: String,
    pub sequencer: Sequencer,
}

impl Session {
    pub async fn sign_in(base: &str, user: &str, password: &str) -> Self {
        let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().unwrap();
        let response = client
            .post(format!("{base}/api/auth/sign_in"))
            .form(&[("username", user), ("password", password)])
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), 200, "sign-in of {user} failed");
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("crm_session="))
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_owned();
        Self { base: base.into(), client, cookie, sequencer: Sequencer::new(UserId(user.into())) }
    }

    /// POSTs JSON to a server function.
    pub async fn json(&self, endpoint: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("cookie", &self.cookie)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// Sends a file to import as the page does: the body is the file.
    pub async fn upload(&self, name: &str, bytes: Vec<u8>) -> reqwest::Response {
        self.client
            .post(format!("{}/api/import/files", self.base))
            .query(&[("name", name)])
            .header("cookie", &self.cookie)
            .body(bytes)
            .send()
            .await
            .expect("request")
    }

    /// GETs `path` (with its query) as a browser following a link does.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("request")
    }

    /// POSTs a form to a server function.
    pub async fn form(&self, endpoint: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("cookie", &self.cookie)
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    /// Pushes one change; returns the outcome (`{"status": "applied", ...}`).
    pub async fn push(&mut self, customer: CustomerId, change: Change) -> Value {
        self.push_at(customer, change, Timestamp(1_700_000_000_000)).await
    }

    /// Pushes one change made at `time` on the device's clock.
    pub async fn push_at(&mut self, customer: CustomerId, change: Change, time: Timestamp) -> Value {
        let mutation = self.sequencer.next(customer, change, time);
        let response =
            self.json("sync/push", json!({ "client": self.sequencer.client, "mutations": [mutation] })).await;
        assert_eq!(response.status(), 200);
        let reply: Value = response.json().await.unwrap();
        reply["results"][0]["outcome"].clone()
    }

    /// Creates an archive kept by `owner`.
    pub async fn create(&mut self, owner: &str, name: &str) -> CustomerId {
        let id = CustomerId::new();
        let mut fields = Fields::named(CustomerName::parse(name).unwrap());
        fields.owner = Some(UserId(owner.into()));
        let outcome = self.push(id, Change::Create { fields: Box::new(fields) }).await;
        assert_eq!(outcome["status"], "applied", "{outcome}");
        id
    }

    /// Pulls everything from the start; the JSON page list's changes.
    pub async fn pull_all(&self) -> Vec<Value> {
        let mut cookie = Value::Null;
        let mut changes = Vec::new();
        loop {
            let response = self.json("sync/pull", json!({ "cookie": cookie, "limit": 100 })).await;
            assert_eq!(response.status(), 200);
            let page: Value = response.json().await.unwrap();
            changes.extend(page["changes"].as_array().unwrap().iter().cloned());
            cookie = page["cookie"].clone();
            if page["more"] == false {
                return changes;
            }
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The real `server` binary, started with the given environment.
pub struct ServerProcess {
    pub child: Child,
    pub base: String,
    /// What it logged up to and including the "listening" line.
    pub startup_log: Vec<String>,
    log: mpsc::Receiver<String>,
}

/// Starts the binary and waits for it to listen; panics with its log if it does not.
pub fn start_binary(env: &[(&str, &str)]) -> ServerProcess {
    let (mut child, log) = spawn_binary(env);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match log.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let addr = line.split("listening on http://").nth(1).map(|a| a.trim().to_owned());
                seen.push(line);
                if let Some(addr) = addr {
                    let addr: SocketAddr = addr.parse().expect("address in log");
                    return ServerProcess { child, base: format!("http://{addr}"), startup_log: seen, log };
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = child.kill();
    panic!("server did not start; its log:\n{}", seen.join("\n"));
}

/// Runs the binary to completion (for start-up failures): exit code and stderr.
pub fn run_binary_to_exit(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = base_command(env).output().expect("run server");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Runs an administration command of the binary (`create-admin`, `backup`,
/// `restore`) with `stdin`: exit code and everything it printed.
pub fn run_command(args: &[&str], env: &[(&str, &str)], stdin: &str) -> (Option<i32>, String) {
    use std::io::Write;
    let mut child = base_command(env)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run server command");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code(), text)
}

fn base_command(env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    // Only what the test sets: a stray CRM_* variable would change the run.
    command.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).env("RUST_LOG", "info");
    command.current_dir(std::env::temp_dir());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

fn spawn_binary(env: &[(&str, &str)]) -> (Child, mpsc::Receiver<String>) {
    let mut child =
        base_command(env).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().expect("spawn server");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

impl ServerProcess {
    /// Sends SIGTERM and waits for the exit code.
    pub fn terminate(mut self) -> (Option<i32>, Vec<String>) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let rest: Vec<String> = self.log.try_iter().collect();
                return (status.code(), rest);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("server did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
