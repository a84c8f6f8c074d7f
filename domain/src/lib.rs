//! The customer archive model and the rules every record obeys.
//!
//! This crate is shared by the browser (compiled to wasm) and the server, so a
//! value validated offline is validated by exactly the same code online. It has
//! no I/O and no heavy dependencies: everything here ships to every phone.

pub mod customer;
pub mod field_error;

pub use customer::{CustomerName, MAX_NAME_CHARS};
pub use field_error::FieldError;
