//! Administration: users and their roles, and the company's custom fields.

mod api;
mod fields;
mod page;
#[cfg(feature = "ssr")]
mod server;

pub use api::{
    CreateUser, ListCustomFields, ListUsers, ResetPassword, SaveCustomFields, SetRoleAndTeam,
    SetUserDisabled, create_user, list_custom_fields, list_users, reset_password, save_custom_fields,
    set_role_and_team, set_user_disabled,
};
pub use fields::FieldsPage;
pub use page::UsersPage;
