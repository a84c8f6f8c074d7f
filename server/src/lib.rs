//! The HTTP server: configuration, router, start-up and shutdown.
//!
//! `main` only parses settings and calls [`startup::run`]; tests build the
//! same router with [`startup::router`] and serve it on port 0.

// The app's deepest views (the record page) outgrow the default limit
// when the release build lays out their server-side render futures.
#![recursion_limit = "256"]

pub mod analytics;
pub mod commands;
pub mod config;
mod health;
pub mod pwa;
pub mod startup;
pub mod telemetry;
