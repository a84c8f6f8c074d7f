//! `server`: runs the customer archive.

use std::process::ExitCode;

use server::config::Settings;
use server::startup::{self, SHUTDOWN_GRACE};

const USAGE: &str = "usage: server [--help]

Serves the customer archive. Settings come from crm.toml (or the file named by
CRM_CONFIG) and CRM_* environment variables:
  CRM_DATABASE_URL       surrealkv://data/crm.db (default), mem://, ws://HOST:PORT
  CRM_DATABASE_USER      user for a SurrealDB server (with CRM_DATABASE_PASSWORD)
  CRM_ADDR               address to listen on (default 127.0.0.1:3000)
  CRM_SITE_ROOT          built site to serve (default target/site)
  CRM_MAX_BODY_BYTES     largest request body (default 2097152)
  RUST_LOG               log filter (default info)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => {}
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("server: unknown argument '{other}'\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let settings = match Settings::from_process() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("server: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    if let Err(message) = server::telemetry::init() {
        eprintln!("server: configuration error: {message}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("server: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(?settings, "starting");
    let result = runtime.block_on(startup::run(settings, startup::shutdown_signal()));
    // Background tasks (database flushes) get a bounded time to finish.
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
