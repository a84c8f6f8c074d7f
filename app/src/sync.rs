//! The sync protocol's server functions: push mutations, pull changes.

mod api;
#[cfg(feature = "ssr")]
mod server;

pub use api::{Pull, Push, pull, push};
#[cfg(feature = "ssr")]
pub(crate) use server::check_duplicates;
