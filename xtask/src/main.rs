//! `cargo xtask run` and `cargo xtask test`: the two commands that set up a
//! fresh machine and then run the app or every test. Both install only what
//! is missing, so a second run installs nothing.

mod precompress;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run [--release]
          install what is missing, build and serve on http://127.0.0.1:3000 with the
          embedded database under ./data. The site phones download is always the
          release build; the server is the dev build the tests share (minutes on a
          small machine), or with --release fully optimised (the production build,
          about half an hour on two cores)
  test    install what is missing and run every test: native, simulation, fuzzing,
          browser (the site's release build covers the wasm build)
  site    only the release build of the site, with its compressed copies
  setup   only install what is missing";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("run") => match args.get(1).map(String::as_str) {
            None => run(&root, ServerBuild::Dev),
            Some("--release") => run(&root, ServerBuild::Release),
            Some(other) => Err(format!("unknown option `{other}`\n{USAGE}")),
        },
        Some("test") => test(&root),
        Some("site") => tools::ensure_all(&root).and_then(|tools| {
            let mut timings = Timings::new();
            let result = start_site_build(&tools, &root, false).and_then(|site| site.join(&mut timings));
            timings.print();
            result
        }),
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

/// Phases and how long each took, printed at the end. A phase run beside
/// the others is timed from its start to its own end, and the total is the
/// wall clock, so overlapping phases are not counted twice.
struct Timings {
    started: Instant,
    phases: Vec<(String, Duration)>,
}

impl Timings {
    fn new() -> Self {
        Self { started: Instant::now(), phases: Vec::new() }
    }

    fn phase<T>(&mut self, name: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        eprintln!("\n==> {name}");
        let start = Instant::now();
        let result = f();
        self.record(name, start.elapsed(), result.is_ok());
        result
    }

    fn record(&mut self, name: &str, took: Duration, ok: bool) {
        eprintln!("==> {name}: {} in {}", if ok { "done" } else { "FAILED" }, fmt(took));
        self.phases.push((name.to_owned(), took));
    }

    fn print(&self) {
        eprintln!("\nphase timings:");
        for (name, took) in &self.phases {
            eprintln!("  {:<44} {:>8}", name, fmt(*took));
        }
        eprintln!("  {:<44} {:>8}", "total (wall clock)", fmt(self.started.elapsed()));
    }
}

fn fmt(d: Duration) -> String {
    let secs = d.as_secs();
    format!("{}m{:02}s", secs / 60, secs % 60)
}

/// A build running beside the main line of phases, its output kept in a log
/// file so it does not interleave with the phases in front.
struct Beside {
    name: String,
    log: PathBuf,
    handle: std::thread::JoinHandle<(Result<(), String>, Duration)>,
}

impl Beside {
    fn start(name: &str, log: PathBuf, mut command: Command) -> Result<Self, String> {
        let label = name.to_owned();
        Self::start_with(name, log, move |out| {
            let err = out.try_clone().map_err(|e| e.to_string())?;
            command.stdout(out).stderr(err);
            tools::run(&mut command, &label)
        })
    }

    /// Runs `job` on a thread of its own, handing it the log file to write to.
    fn start_with(
        name: &str,
        log: PathBuf,
        job: impl FnOnce(std::fs::File) -> Result<(), String> + Send + 'static,
    ) -> Result<Self, String> {
        eprintln!("\n==> {name}: runs beside the next phases (log: {})", log.display());
        let file =
            std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let started = Instant::now();
        let handle = std::thread::spawn(move || (job(file), started.elapsed()));
        Ok(Self { name: name.to_owned(), log, handle })
    }

    /// Waits for the work to end and shows the end of its log: its last
    /// lines (a summary) when it passed, more when it failed.
    fn join(self, timings: &mut Timings) -> Result<(), String> {
        eprintln!("\n==> waiting for: {}", self.name);
        let (result, took) =
            self.handle.join().unwrap_or_else(|_| (Err(format!("{} panicked", self.name)), Duration::ZERO));
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(if result.is_ok() { 2 } else { 60 }).collect();
        for line in tail.into_iter().rev() {
            eprintln!("    {line}");
        }
        timings.record(&format!("{} (beside)", self.name), took, result.is_ok());
        result
    }
}

/// Which server `cargo xtask run` builds.
#[derive(Clone, Copy)]
enum ServerBuild {
    /// The dev profile the tests build: dependencies that matter for speed
    /// optimised, the database engine not. Ready in minutes.
    Dev,
    /// The release profile: everything optimised, for production.
    Release,
}

/// Starts the release build of the site (wasm, JS, CSS, icons, and their
/// compressed copies), which is what a phone downloads whichever server
/// serves it. Its wasm profile (size-optimised, one codegen unit, LTO) leaves
/// a core idle for long stretches and cargo-leptos gives it its own target
/// directory (`target/front`), so it runs beside the native build without
/// waiting on it. In `background` it yields to the other builds: measured
/// on a cold run, it finished first and left a core idle for a minute and a
/// half while the build in front compiled its last crates one at a time.
fn start_site_build(tools: &tools::Tools, root: &Path, background: bool) -> Result<Beside, String> {
    let mut command =
        if background { tools.cargo_leptos_in_background(root) } else { tools.cargo_leptos(root) };
    // `--split`: pages a rep seldom opens go to parts of the wasm fetched on
    // demand, out of every phone's first load.
    command.args(["build", "--release", "--frontend-only", "--split"]);
    let site = root.join("target/site");
    Beside::start_with("release build of the site", root.join("target/xtask-site.log"), move |mut out| {
        let err = out.try_clone().map_err(|e| e.to_string())?;
        command.stdout(out.try_clone().map_err(|e| e.to_string())?).stderr(err);
        tools::run(&mut command, "cargo leptos build --release --frontend-only --split")?;
        let count = precompress::site(&site)?;
        use std::io::Write;
        writeln!(out, "precompressed {count} files under {}", site.display()).map_err(|e| e.to_string())
    })
}

/// Starts the sync simulation's 500 seeds from the binary `cargo test`
/// built, at the lowest priority: it keeps both cores busy for minutes, so
/// it takes only what the phases in front leave idle (the browser tests
/// wait on one browser most of the time) and whatever remains at the end.
/// At normal priority beside the browser tests it slowed them, and they it.
fn start_simulation(root: &Path) -> Result<Beside, String> {
    let mut command = Command::new("nice");
    command.args(["-n", "19"]).arg(built(root, "sync-sim")?).args(["--seeds", "500"]).current_dir(root);
    Beside::start("sync simulation (500 seeds)", root.join("target/xtask-sim.log"), command)
}

fn run(root: &Path, build: ServerBuild) -> Result<(), String> {
    let mut timings = Timings::new();
    let tools = timings.phase("set-up (tools)", || tools::ensure_all(root))?;
    let server = match build {
        ServerBuild::Dev => {
            let site = start_site_build(&tools, root, false)?;
            let server = timings.phase("server build (dev profile)", || {
                // With the SurrealDB server binary, so the engine's features
                // are those `cargo test` unifies: one build serves both.
                tools::run(
                    Command::new("cargo").current_dir(root).args([
                        "build",
                        "--package",
                        "server",
                        "--package",
                        "surreal",
                    ]),
                    "cargo build -p server -p surreal",
                )
            });
            site.join(&mut timings)?;
            server?;
            root.join("target/debug/server")
        }
        ServerBuild::Release => {
            timings.phase("release build of the site and the server", || {
                tools::run(
                    tools.cargo_leptos(root).args(["build", "--release", "--split"]),
                    "cargo leptos build --release --split",
                )?;
                precompress::site(&root.join("target/site")).map(|_| ())
            })?;
            root.join("target/release/server")
        }
    };
    timings.print();
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
    let mut timings = Timings::new();
    let result = test_phases(root, &mut timings);
    timings.print();
    result
}

fn test_phases(root: &Path, timings: &mut Timings) -> Result<(), String> {
    let tools = timings.phase("set-up (tools)", || tools::ensure_all(root))?;
    let build = TestBuild::for_target(root);
    // The browser downloads the release build, so that is what is measured
    // and tested. It is needed only by the native tests, so it gives way to
    // the builds in front and fills the cycles they leave.
    let site = start_site_build(&tools, root, true)?;
    // The simulation's binaries (its own and the SurrealDB server's) are
    // compiled first, with the feature set of the whole workspace so nothing
    // is compiled twice, and the simulation starts at the lowest priority
    // while the rest compiles: it takes the cycles the compiler leaves idle.
    // The simulation runs from the dev profile the tests build: it optimises
    // the crates a run spends its time in (Cargo.toml), so the database
    // engine is compiled once for every phase.
    let simulation = timings
        .phase("simulation build (cargo test --no-run, its targets)", || {
            build.cargo_test(root, &["--no-run", "--test", "simulation", "--test", "database"])
        })
        .and_then(|()| start_simulation(root));
    let compiled =
        timings.phase("native build (cargo test --no-run)", || build.cargo_test(root, &["--no-run"]));
    let simulation = match (compiled, simulation) {
        (Ok(()), Ok(simulation)) => simulation,
        (compiled, simulation) => {
            let _ = site.join(timings);
            // Nothing is left running behind a failed build.
            let simulation = simulation.and_then(|simulation| simulation.join(timings));
            return compiled.and(simulation);
        }
    };
    // The server tests serve files from the site: it must not be half
    // rewritten under them (a warm run hung in a server test while the site
    // was being rewritten). On a cold run the site is done long before the
    // native build, so this waits for nothing.
    let site = site.join(timings);
    let native =
        site.and_then(|()| timings.phase("native tests (cargo test)", || build.cargo_test(root, &[])));
    // Every door of the real server, as anonymous, rep, manager and admin,
    // with generated and mutated requests: no 5xx, no panic, nothing slow.
    let fuzz = native.and_then(|()| {
        timings.phase("http fuzzing (2,000 cases)", || {
            let server = built(root, "server")?;
            tools::run(
                Command::new(built(root, "fuzz-http")?)
                    .current_dir(root)
                    .args(["--cases", "2000", "--server"])
                    .arg(&server),
                "fuzz-http --cases 2000",
            )
        })
    });
    // The site build also checks that the domain crate builds for wasm32:
    // the browser bundle compiles it with the features the browser uses.
    let browser = fuzz.and_then(|()| {
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
        // The server under the browser tests is the one the native tests ran.
        let server = built(root, "server")?;
        timings.phase("browser tests (playwright)", || {
            tools::run(
                tools
                    .npx(root)
                    .args(["playwright", "test"])
                    .env("CRM_SERVER_BIN", &server)
                    .env("CRM_SITE_ROOT", root.join("target/site")),
                "playwright test",
            )
        })
    });
    let simulation = simulation.join(timings);
    browser.and(simulation)
}

/// How `cargo test` builds in this run: every call alike, or a later call
/// would build the workspace's crates again.
struct TestBuild {
    /// Whether our own crates keep incremental caches. On a first build
    /// (no test binaries yet) they do not: with nothing to reuse, writing
    /// them only costs. Measured on our crates alone: 283 -> 237 s of
    /// processor time, 147 -> 123 s of wall clock. A later build keeps them
    /// for quick rebuilds after an edit (the first such build compiles our
    /// crates once more).
    incremental: bool,
}

impl TestBuild {
    fn for_target(root: &Path) -> Self {
        Self { incremental: root.join("target/debug/sync-sim").exists() }
    }

    /// `cargo test` over the workspace (the browser entry has no tests of its own).
    fn cargo_test(&self, root: &Path, extra: &[&str]) -> Result<(), String> {
        let mut command = Command::new("cargo");
        command.current_dir(root).args(["test", "--workspace", "--exclude", "frontend"]).args(extra);
        if !self.incremental {
            command.env("CARGO_INCREMENTAL", "0");
        }
        tools::run(&mut command, &format!("cargo test {}", extra.join(" ")))
    }
}

/// A binary of the dev build, which `cargo test` builds for the integration tests.
fn built(root: &Path, name: &str) -> Result<PathBuf, String> {
    let path = root.join("target/debug").join(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} is missing: cargo test should have built it", path.display()))
    }
}
