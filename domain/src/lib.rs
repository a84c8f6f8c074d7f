//! The customer archive model and the rules every record obeys.
//!
//! This crate is shared by the browser (compiled to wasm) and the server, so a
//! value validated offline is validated by exactly the same code online. It has
//! no I/O, reads no clock and has no heavy dependencies: everything here ships
//! to every phone.

#![warn(missing_docs)]

/// Gives a newtype over `String` with a `parse(&str)` constructor its serde
/// form: it travels as a plain string and is parsed (so validated) on the way in.
macro_rules! string_form {
    ($type:ident) => {
        impl TryFrom<String> for $type {
            type Error = $crate::FieldError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$type> for String {
            fn from(value: $type) -> Self {
                value.0
            }
        }
    };
}

pub mod analytics;
pub mod apply;
pub mod archive;
pub mod calendar;
pub mod care;
pub mod custom_field;
pub mod customer;
pub mod dedup;
pub mod derived;
pub mod email;
pub mod export;
pub mod field_error;
pub mod identity;
pub mod ids;
pub mod import;
pub mod merge;
pub mod money;
pub mod mutation;
pub mod outbox;
pub mod phone;
pub mod policy;
pub mod pool;
pub mod portfolio;
pub mod quality;
pub mod refusal;
pub mod reminder;
pub mod replica;
pub mod review;
pub mod rules;
pub mod search;
pub mod standard;
pub mod sync;
mod tag_first;
pub mod time;
pub mod validate;
pub mod views;

#[cfg(feature = "server")]
pub use apply::server_checks;
pub use apply::{Applied, ApplyContext, Rejection, apply, apply_merge};
pub use customer::{CustomerName, MAX_NAME_CHARS};
pub use email::Email;
pub use field_error::FieldError;
pub use mutation::{Change, FieldEdit, Mutation};
pub use phone::Phone;
pub use refusal::Refusal;
