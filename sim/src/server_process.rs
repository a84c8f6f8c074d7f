//! The real `server` binary as a child process on 127.0.0.1, for the load
//! and fuzz commands: an admin is created first, the log is drained (and
//! panics in it counted), and the process is killed when dropped.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A running server and the address it listens on.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    panics: Arc<AtomicU64>,
}

impl ServerProcess {
    /// Creates the admin `root` with `password` in the database at `url`,
    /// then starts `binary` on it with the log filter `log` and waits until
    /// it listens.
    pub fn start(binary: &Path, url: &str, password: &str, log: &str) -> Result<Self, String> {
        Self::start_on(binary, &[("CRM_DATABASE_URL", url)], Some(password), log)
    }

    /// Starts `binary` with the database settings `database` (URL, and a
    /// user and password for a database server), first creating the admin
    /// `root` with `admin_password` if one is given.
    pub fn start_on(
        binary: &Path,
        database: &[(&str, &str)],
        admin_password: Option<&str>,
        log: &str,
    ) -> Result<Self, String> {
        if let Some(password) = admin_password {
            let mut admin = Command::new(binary)
                .args(["create-admin", "root"])
                .envs(database.iter().copied())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
            writeln!(admin.stdin.take().ok_or("no stdin")?, "{password}").map_err(|e| e.to_string())?;
            if !admin.wait().map_err(|e| e.to_string())?.success() {
                return Err("create-admin failed".into());
            }
        }
        let mut child = Command::new(binary)
            .envs(database.iter().copied())
            .env("CRM_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", log)
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let base = loop {
            let Some(Ok(line)) = lines.next() else {
                return Err("the server exited before it listened".into());
            };
            if let Some(addr) = line.split("listening on ").nth(1) {
                break addr.trim().to_owned();
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        let panics = Arc::new(AtomicU64::new(0));
        let counted = panics.clone();
        std::thread::spawn(move || {
            // A panic's message and the top of its backtrace follow "panicked at".
            let mut show = 0;
            for line in lines.map_while(Result::ok) {
                if line.contains("panicked at") {
                    counted.fetch_add(1, Ordering::Relaxed);
                    show = 24;
                }
                if show > 0 {
                    eprintln!("server: {line}");
                    show -= 1;
                } else if line.contains(" ERROR ") {
                    // What a 500 hides from the client is said here.
                    eprintln!("server: {line}");
                }
            }
        });
        Ok(Self { child, base, panics })
    }

    /// Peak resident memory so far (VmHWM), in MiB.
    pub fn peak_mib(&self) -> Option<f64> {
        peak_mib_of(self.child.id())
    }

    /// Panics the server has logged so far.
    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }
}

/// Peak resident memory so far (VmHWM) of process `pid`, in MiB.
pub fn peak_mib_of(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Signs `user` in with `password`; the `cookie` header value of the session.
pub async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
) -> Result<String, String> {
    let response = http
        .post(format!("{base}/api/auth/sign_in"))
        .form(&[("username", user), ("password", password)])
        .send()
        .await
        .map_err(|e| format!("sign-in of {user}: {e}"))?;
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("crm_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or(format!("sign-in of {user} gave no session"))
}

/// A new user with `password`, created through the admin API with the
/// admin's `cookie`; `role` is `rep`, `manager` or `admin`.
pub async fn create_user(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    (username, role, team): (&str, &str, &str),
    password: &str,
) -> Result<(), String> {
    let form = [
        ("username", username),
        ("display_name", username),
        ("role", role),
        ("team", team),
        ("password", password),
    ];
    let response = http
        .post(format!("{base}/api/admin/users/create"))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status() == 200 { Ok(()) } else { Err(format!("creating {username}: {}", response.status())) }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
