//! `cargo xtask run` and `cargo xtask test`: the two commands that set up a
//! fresh machine and then run the app or every test. Both install only what
//! is missing, so a second run installs nothing.

mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run     install what is missing, build (release) and serve on http://127.0.0.1:3000
          with the embedded database under ./data
  test    install what is missing and run every test: native, wasm build, browser
  setup   only install what is missing";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&root),
        Some("test") => test(&root),
        Some("setup") => tools::ensure_all(&root).map(|_| ()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// Phases and how long each took, printed at the end.
struct Timings(Vec<(String, Duration)>);

impl Timings {
    fn phase<T>(&mut self, name: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        eprintln!("\n==> {name}");
        let start = Instant::now();
        let result = f();
        let took = start.elapsed();
        eprintln!("==> {name}: {} in {}", if result.is_ok() { "done" } else { "FAILED" }, fmt(took));
        self.0.push((name.to_owned(), took));
        result
    }

    fn print(&self) {
        eprintln!("\nphase timings:");
        let total: Duration = self.0.iter().map(|(_, d)| *d).sum();
        for (name, took) in &self.0 {
            eprintln!("  {:<34} {:>8}", name, fmt(*took));
        }
        eprintln!("  {:<34} {:>8}", "total", fmt(total));
    }
}

fn fmt(d: Duration) -> String {
    let secs = d.as_secs();
    format!("{}m{:02}s", secs / 60, secs % 60)
}

fn run(root: &Path) -> Result<(), String> {
    let tools = tools::ensure_all(root)?;
    tools::run(
        tools.cargo_leptos(root).args(["build", "--release", "--precompress"]),
        "cargo leptos build --release --precompress",
    )?;
    let server = root.join("target/release/server");
    if !root.join("data/crm.db").exists() {
        first_admin(root, &server)?;
    }
    eprintln!("\nserving on http://127.0.0.1:3000 (database under ./data); Ctrl-C stops");
    let status = Command::new(server)
        .current_dir(root)
        .env("CRM_SITE_ROOT", root.join("target/site"))
        .status()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("the server exited with {status}")) }
}

/// A fresh install has nobody who could sign in: create the admin `admin`
/// with a random password and show it once.
fn first_admin(root: &Path, server: &Path) -> Result<(), String> {
    use std::io::{Read, Write};
    let mut bytes = [0u8; 9];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("cannot read random bytes for the first password: {e}"))?;
    let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut child = Command::new(server)
        .current_dir(root)
        .args(["create-admin", "admin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run the server to create the first admin: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{password}").map_err(|e| format!("cannot pass the password: {e}"))?;
    }
    let status = child.wait().map_err(|e| format!("create-admin did not finish: {e}"))?;
    if !status.success() {
        return Err(format!("creating the first admin failed ({status})"));
    }
    eprintln!("\nfirst start: sign in at http://127.0.0.1:3000/signin as admin with password {password}");
    Ok(())
}

fn test(root: &Path) -> Result<(), String> {
    let mut timings = Timings(Vec::new());
    let result = test_phases(root, &mut timings);
    timings.print();
    result
}

fn test_phases(root: &Path, timings: &mut Timings) -> Result<(), String> {
    let tools = timings.phase("set-up (tools)", || tools::ensure_all(root))?;
    timings.phase("native tests (cargo test)", || {
        tools::run(
            Command::new("cargo").current_dir(root).args(["test", "--workspace", "--exclude", "frontend"]),
            "cargo test",
        )
    })?;
    // The simulation plays hundreds of runs against the real database
    // engine; optimised, 500 seeds take minutes where a debug build takes
    // most of an hour.
    timings.phase("sync simulation (500 seeds)", || {
        tools::run(
            Command::new("cargo").current_dir(root).args([
                "run",
                "--release",
                "--quiet",
                "--package",
                "sim",
                "--bin",
                "sync-sim",
                "--",
                "--seeds",
                "500",
            ]),
            "sync-sim --seeds 500",
        )
    })?;
    timings.phase("wasm build of domain", || {
        tools::run(
            Command::new("cargo").current_dir(root).args([
                "build",
                "--package",
                "domain",
                "--target",
                "wasm32-unknown-unknown",
            ]),
            "cargo build --target wasm32-unknown-unknown -p domain",
        )
    })?;
    // The browser downloads the release build, so that is what is measured
    // and tested. The server under the browser tests is the debug binary
    // `cargo test` has just built (the integration tests run it): a release
    // build of the server with SurrealDB takes far longer on two cores and
    // tests nothing the debug one does not.
    timings.phase("release build of the site", || {
        tools::run(
            tools.cargo_leptos(root).args(["build", "--release", "--precompress", "--frontend-only"]),
            "cargo leptos build --release --frontend-only",
        )
    })?;
    timings.phase("size report", || {
        tools::run(
            Command::new("cargo").current_dir(root).args([
                "run",
                "--quiet",
                "--package",
                "xtask",
                "--bin",
                "size-report",
            ]),
            "size-report",
        )
    })?;
    let server = root.join("target/debug/server");
    if !server.exists() {
        return Err(format!("{} is missing: cargo test should have built it", server.display()));
    }
    timings.phase("browser tests (playwright)", || {
        tools::run(
            tools
                .npx(root)
                .args(["playwright", "test"])
                .env("CRM_SERVER_BIN", &server)
                .env("CRM_SITE_ROOT", root.join("target/site")),
            "playwright test",
        )
    })?;
    Ok(())
}
