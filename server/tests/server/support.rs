//! Starting servers for tests: in-process on port 0, or the real binary.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use server::config::Settings;
use store::Store;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A server running inside the test process on a fresh in-memory database.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with_body_limit(64 * 1024).await
    }

    pub async fn spawn_with_body_limit(max_body_bytes: usize) -> Self {
        let (store, _) = Store::open("mem://", None).await.expect("open store");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let settings =
            Settings { database_url: "mem://".into(), addr, max_body_bytes, ..Settings::default() };
        let (stop, stopped) = oneshot::channel::<()>();
        let served = store.clone();
        tokio::spawn(async move {
            server::startup::serve(listener, served, &settings, async {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: format!("http://{addr}"), client, store, stop: Some(stop) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Calls the create server function the way a browser form does.
    pub async fn create_customer(&self, name: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/customers/create"))
            .header("accept", "application/json")
            .form(&[("name", name)])
            .send()
            .await
            .expect("request")
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
