//! Signing in and out, and who is signed in.

mod account;
mod api;
#[cfg(feature = "ssr")]
mod limiter;
mod page;
#[cfg(feature = "ssr")]
mod server;

pub use account::AccountPage;
pub use api::{ChangePassword, Me, SignIn, SignOut, change_password, me, sign_in, sign_out};
#[cfg(feature = "ssr")]
pub use limiter::SignInLimiter;
pub use page::{
    CurrentUser, SignInPage, SignOutButton, SignedIn, current_user, owes_sign_out, remember_user,
    settle_sign_out, use_current_user,
};
#[cfg(feature = "ssr")]
pub use server::{SESSION_COOKIE, session_token, signed_in};
