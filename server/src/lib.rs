//! The HTTP server: configuration, router, start-up and shutdown.
//!
//! `main` only parses settings and calls [`startup::run`]; tests build the
//! same router with [`startup::router`] and serve it on port 0.

pub mod analytics;
pub mod commands;
pub mod config;
mod export;
mod hang_up;
mod health;
mod import_upload;
mod live;
pub mod mail;
pub mod pwa;
mod schedule;
pub mod startup;
pub mod telemetry;

// jemalloc rather than the C library's allocator, as SurrealDB's own server
// does on Linux: under a company's sync load the engine spent about a fifth
// of the server's time in glibc's malloc and free. Every binary built on
// this crate (the server, its benchmarks, its tests) uses it.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
