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
