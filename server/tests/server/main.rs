//! The server over real HTTP, on the real SurrealDB engine.

mod admin;
mod crash;
mod customers;
mod dashboard;
mod export;
mod http;
mod import;
mod mail;
mod matrix;
mod process;
mod reminders;
mod signin;
mod support;
mod sync;
mod team;
