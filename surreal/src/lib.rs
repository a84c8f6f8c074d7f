//! The `surreal` binary of this workspace as a child process on 127.0.0.1:
//! started on a free port with a root user, ready when its health check
//! answers, killed when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The root user every process started here gets.
pub const ROOT_USER: &str = "root";
/// Its password (the process listens on loopback only).
pub const ROOT_PASSWORD: &str = "root";

/// A running SurrealDB server.
pub struct DatabaseProcess {
    child: Child,
    /// `ws://127.0.0.1:PORT`, for `surrealdb::engine::any::connect`.
    pub url: String,
    /// Where an on-disk server keeps its data; removed when dropped.
    _dir: Option<tempfile::TempDir>,
}

/// Where the data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// In the server's memory: gone when it stops.
    Memory,
    /// SurrealKV in a temporary directory.
    Disk,
}

impl DatabaseProcess {
    /// Starts the `surreal` binary found by [`binary`] and waits until it
    /// answers its health check (up to a minute).
    pub fn start(storage: Storage) -> Result<Self, String> {
        Self::start_binary(&binary()?, storage)
    }

    /// Starts `binary` as a SurrealDB server.
    pub fn start_binary(binary: &Path, storage: Storage) -> Result<Self, String> {
        let (path, dir) = match storage {
            Storage::Memory => ("memory".to_owned(), None),
            Storage::Disk => {
                let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
                (format!("surrealkv://{}", dir.path().join("db").display()), Some(dir))
            }
        };
        // A port another process takes between this probe and the bind is
        // possible but rare: the start is tried again on a fresh port.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            let address = format!("127.0.0.1:{port}");
            let mut child = Command::new(binary)
                .args(["start", "--bind", &address, "--user", ROOT_USER, "--pass", ROOT_PASSWORD])
                .args(["--log", "warn", "--no-banner", &path])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
            match wait_healthy(&address, &mut child, Duration::from_secs(60)) {
                Ok(()) => return Ok(Self { child, url: format!("ws://{address}"), _dir: dir }),
                Err(error) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = error;
                }
            }
        }
        Err(format!("the SurrealDB server did not start: {last_error}"))
    }

    /// The process id (to kill it from outside, for example).
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for DatabaseProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `surreal` binary of this build: `CRM_SURREAL_BIN` if set, else beside
/// the running executable (`target/debug/`, or its parent for test binaries
/// in `target/debug/deps/`).
pub fn binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("CRM_SURREAL_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let mut dir = exe.parent();
    while let Some(d) = dir {
        let candidate = d.join("surreal");
        if candidate.is_file() {
            return Ok(candidate);
        }
        if d.file_name().is_some_and(|n| n == "target") {
            break;
        }
        dir = d.parent();
    }
    Err(format!(
        "the SurrealDB server binary is missing beside {}: build it with `cargo build -p surreal` \
         (`cargo test --workspace` builds it), or set CRM_SURREAL_BIN",
        exe.display()
    ))
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Polls `GET /health` until it answers 200, the process exits, or time runs out.
fn wait_healthy(address: &str, child: &mut Child, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("it exited with {status}"));
        }
        if health(address).unwrap_or(false) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("no answer on {address} within {} s", within.as_secs()))
}

fn health(address: &str) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(stream, "GET /health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    Ok(head.starts_with(b"HTTP/1.1 200"))
}
