//! The store against the real SurrealDB engine, in memory and on disk.

mod accounts;
mod analytics;
mod basics;
mod custom_fields;
mod duplicates;
mod import_jobs;
mod pool;
mod reminders;
mod review;
mod rules;
mod search;
mod support;
mod sync;
mod time_zone;
mod workbench;
