//! Administration: users and their roles.

mod api;
mod page;
#[cfg(feature = "ssr")]
mod server;

pub use api::{
    CreateUser, ListUsers, ResetPassword, SetUserDisabled, create_user, list_users, reset_password,
    set_user_disabled,
};
pub use page::UsersPage;
