//! Logging: `RUST_LOG` decides what is written, to standard error.

use tracing_subscriber::EnvFilter;

/// What is logged when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info,surrealdb=warn,surrealkv=warn";

/// Installs the global subscriber. Fails, naming `RUST_LOG`, when its value
/// cannot be parsed.
pub fn init() -> Result<(), String> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) => EnvFilter::try_new(&value)
            .map_err(|e| format!("RUST_LOG: '{value}' is not a valid filter: {e}"))?,
        Err(_) => EnvFilter::new(DEFAULT_FILTER),
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
    Ok(())
}
