//! `surreal`: a SurrealDB server (`surreal start ...`, as the official binary).
//! Tests and benchmarks run it to put several app servers on one database.

// The server's command-line and router types nest deeply.
#![recursion_limit = "256"]

fn main() -> std::process::ExitCode {
    surrealdb_server::init(surrealdb_server::core::CommunityComposer())
}
