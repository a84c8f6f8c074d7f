//! Installing the tool chain, each piece only when the pinned version is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// cargo-leptos 0.3.10 is the newest that builds with Rust 1.95 (0.3.11 needs
/// 1.96), and its wasm splitter (wasm_split_cli_support 0.2.3) works: 0.3.5's
/// left the glue importing a module named `__wbindgen_externref_xform__`, and
/// no page started.
const CARGO_LEPTOS_VERSION: &str = "0.3.10";
/// Must equal the `wasm-bindgen` version pinned in Cargo.toml (checked below).
const WASM_BINDGEN_VERSION: &str = "0.2.130";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Paths of the installed tools.
pub struct Tools {
    node_bin: PathBuf,
}

impl Tools {
    /// `cargo leptos` with wasm-opt (from npm) on PATH.
    pub fn cargo_leptos(&self, root: &Path) -> Command {
        let mut command = Command::new("cargo");
        command.current_dir(root).arg("leptos").env("PATH", self.path());
        command
    }

    /// `cargo leptos` at a lower scheduling priority (`nice -n 10`).
    pub fn cargo_leptos_in_background(&self, root: &Path) -> Command {
        let mut command = Command::new("nice");
        command.current_dir(root).args(["-n", "10", "cargo", "leptos"]).env("PATH", self.path());
        command
    }

    /// `npx` in the end2end folder.
    pub fn npx(&self, root: &Path) -> Command {
        let mut command = Command::new("npx");
        command.current_dir(root.join("end2end")).env("PATH", self.path());
        command
    }

    fn path(&self) -> String {
        let rest = std::env::var("PATH").unwrap_or_default();
        format!("{}:{rest}", self.node_bin.display())
    }
}

/// Installs whatever is missing and says what it found.
pub fn ensure_all(root: &Path) -> Result<Tools, String> {
    check_wasm_bindgen_pin(root)?;
    ensure_wasm_target()?;
    // Optimised, cargo-leptos takes 18 minutes to compile on two cores and
    // unoptimised 9. Its own speed showed only when it precompressed the
    // site, which `precompress.rs` now does with Debian's compressors.
    ensure_cargo_tool("cargo-leptos", &["leptos", "--version"], CARGO_LEPTOS_VERSION, || {
        cargo_install(&[
            "cargo-leptos",
            "--version",
            CARGO_LEPTOS_VERSION,
            "--features",
            "no_downloads",
            "--locked",
            "--debug",
        ])
    })?;
    // Without --locked: the lock file of the CLI names a crate the registry no longer has.
    ensure_cargo_tool("wasm-bindgen", &["--version"], WASM_BINDGEN_VERSION, || {
        cargo_install(&["wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION])
    })?;
    ensure_debian_packages()?;
    let node_bin = ensure_npm_packages(root)?;
    Ok(Tools { node_bin })
}

/// Runs a command, failing with its name when it fails.
pub fn run(command: &mut Command, name: &str) -> Result<(), String> {
    without_cargo_run_env(command);
    let status = command.status().map_err(|e| format!("cannot run {name}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{name} failed ({status})")) }
}

/// `cargo run` hands xtask variables describing the xtask package. Build
/// scripts such as ring's declare `rerun-if-env-changed` on some of them, so a
/// nested cargo that inherits them rebuilds half the dependency tree. Children
/// get the environment the developer's shell has.
fn without_cargo_run_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let injected = name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || matches!(name, "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE");
        if injected {
            command.env_remove(name);
        }
    }
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let mut command = Command::new(program);
    command.args(args);
    without_cargo_run_env(&mut command);
    let out = command.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn check_wasm_bindgen_pin(root: &Path) -> Result<(), String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| e.to_string())?;
    let pin = format!("wasm-bindgen = \"={WASM_BINDGEN_VERSION}\"");
    if manifest.contains(&pin) {
        Ok(())
    } else {
        Err(format!("Cargo.toml must pin {pin}: the CLI and the library must match exactly"))
    }
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        eprintln!("ok: rust target {WASM_TARGET}");
        return Ok(());
    }
    eprintln!("installing: rust target {WASM_TARGET}");
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]), "rustup target add")
}

fn ensure_cargo_tool(
    name: &str,
    version_args: &[&str],
    version: &str,
    install: impl FnOnce() -> Result<(), String>,
) -> Result<(), String> {
    let program = if name == "cargo-leptos" { "cargo" } else { name };
    let found = output(program, version_args).unwrap_or_default();
    if found.split_whitespace().any(|word| word == version) {
        eprintln!("ok: {name} {version}");
        return Ok(());
    }
    let found = if found.trim().is_empty() { "none" } else { found.trim() };
    eprintln!("installing: {name} {version} (found: {found})");
    install()
}

fn cargo_install(args: &[&str]) -> Result<(), String> {
    let mut command = Command::new("cargo");
    command.arg("install").args(args);
    run(&mut command, &format!("cargo install {}", args.join(" ")))
}

/// Debian packages, each named by a file it installs: the browser the
/// end-to-end tests drive, the compressor for the site's brotli copies,
/// and the SMTP server the mail tests send to (for the system's python3).
const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("chromium", CHROMIUM),
    ("brotli", "/usr/bin/brotli"),
    ("python3-aiosmtpd", "/usr/lib/python3/dist-packages/aiosmtpd/__init__.py"),
];

fn ensure_debian_packages() -> Result<(), String> {
    let missing: Vec<&str> =
        DEBIAN_PACKAGES.iter().filter(|(_, file)| !Path::new(file).exists()).map(|(name, _)| *name).collect();
    for (name, file) in DEBIAN_PACKAGES.iter().filter(|(name, _)| !missing.contains(name)) {
        eprintln!("ok: {name} at {file}");
    }
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("installing: {} (Debian packages)", missing.join(", "));
    let sudo = output("id", &["-u"]).is_some_and(|uid| uid.trim() != "0");
    let apt = |args: &[&str]| {
        let mut command = if sudo { Command::new("sudo") } else { Command::new("apt-get") };
        if sudo {
            command.arg("apt-get");
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut command, &format!("apt-get {}", args.join(" ")))
    };
    apt(&["update"])?;
    apt(&[&["install", "-y"][..], &missing].concat())
}

/// `npm ci` in end2end when node_modules is missing or older than the lock file.
fn ensure_npm_packages(root: &Path) -> Result<PathBuf, String> {
    let dir = root.join("end2end");
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = matches!((modified(&lock), modified(&installed)), (Some(l), Some(i)) if i >= l);
    if fresh {
        eprintln!("ok: npm packages in end2end");
    } else {
        eprintln!("installing: npm packages in end2end (npm ci)");
        run(
            Command::new("npm")
                .current_dir(&dir)
                .args(["ci", "--no-audit", "--no-fund"])
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
            "npm ci",
        )?;
    }
    Ok(dir.join("node_modules/.bin"))
}
