//! Users, passwords and sessions.

use domain::ids::UserId;
use domain::policy::Role;
use store::{NewUser, SessionLimits, StoreError};

use crate::support::{PASSWORD, World};

const DAY_MS: i64 = 24 * 3600 * 1000;

#[tokio::test]
async fn a_password_signs_in_and_a_wrong_one_or_a_wrong_name_does_not() {
    let world = World::new().await;
    let user = world.store.check_credentials("A", PASSWORD).await.unwrap().expect("signed in");
    assert_eq!(user.id, UserId("a".into()));
    assert_eq!(user.role, Role::Rep);
    assert!(world.store.check_credentials("a", "wrong password").await.unwrap().is_none());
    assert!(world.store.check_credentials("ghost", PASSWORD).await.unwrap().is_none());
    assert!(world.store.check_credentials("张三", PASSWORD).await.unwrap().is_none());
}

#[tokio::test]
async fn a_taken_name_a_short_password_and_a_bad_name_are_refused() {
    let world = World::new().await;
    let new = |username: &str, password: &str| NewUser {
        username: username.into(),
        display_name: "X".into(),
        role: Role::Rep,
        team: None,
        password: password.into(),
    };
    assert!(matches!(world.store.create_user(&new("a", PASSWORD)).await, Err(StoreError::Conflict(_))));
    match world.store.create_user(&new("zed", "short")).await {
        Err(StoreError::Invalid(error)) => assert_eq!(error.code, "password.too_short"),
        other => panic!("{other:?}"),
    }
    match world.store.create_user(&new("bad name", PASSWORD)).await {
        Err(StoreError::Invalid(error)) => assert_eq!(error.code, "username.format"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn names_are_read_for_the_users_asked_for_and_an_unknown_one_is_left_out() {
    let world = World::new().await;
    let ids = [UserId("a".into()), UserId("ghost".into()), UserId("b".into())];
    let names = world.store.names_of(&ids).await.unwrap();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[&UserId("a".into())], "User a");
    assert_eq!(names[&UserId("b".into())], "User b");
    assert!(world.store.names_of(&[]).await.unwrap().is_empty());
}

fn days(idle: i64, absolute: i64) -> SessionLimits {
    SessionLimits { idle_ms: idle * DAY_MS, absolute_ms: absolute * DAY_MS }
}

#[tokio::test]
async fn a_session_is_found_by_its_token_and_renewed_past_half_its_life() {
    let world = World::new().await;
    let (token, expires) = world.store.create_session(&UserId("a".into()), days(1, 90)).await.unwrap();
    let found = world.store.session(&token, days(1, 90)).await.unwrap().expect("session");
    assert_eq!(found.user.id, UserId("a".into()));
    assert!(!found.renewed);
    assert_eq!(found.expires_at, expires);
    // Looked up with a longer lifetime, the same session is past half of it.
    let renewed = world.store.session(&token, days(4, 90)).await.unwrap().expect("session");
    assert!(renewed.renewed && renewed.expires_at > expires);
    assert!(world.store.session("not-a-token", days(1, 90)).await.unwrap().is_none());
    world.store.delete_session(&token).await.unwrap();
    assert!(world.store.session(&token, days(1, 90)).await.unwrap().is_none());
}

#[tokio::test]
async fn an_expired_session_is_gone() {
    let world = World::new().await;
    let limits = SessionLimits { idle_ms: -1, absolute_ms: DAY_MS };
    let (token, _) = world.store.create_session(&UserId("a".into()), limits).await.unwrap();
    assert!(world.store.session(&token, days(1, 90)).await.unwrap().is_none());
}

#[tokio::test]
async fn a_session_in_constant_use_still_ends_at_its_absolute_lifetime() {
    let world = World::new().await;
    let (token, _) = world.store.create_session(&UserId("a".into()), days(1, 90)).await.unwrap();
    // Renewal never reaches past the absolute end.
    let capped = SessionLimits { idle_ms: 10 * DAY_MS, absolute_ms: 2 * DAY_MS };
    let renewed = world.store.session(&token, capped).await.unwrap().expect("session");
    assert!(renewed.expires_at <= store::now_millis() + 2 * DAY_MS, "{renewed:?}");
    // Once the absolute lifetime has passed, use does not keep it alive.
    let past = SessionLimits { idle_ms: DAY_MS, absolute_ms: 0 };
    assert!(world.store.session(&token, past).await.unwrap().is_none());
    assert!(world.store.session(&token, days(1, 90)).await.unwrap().is_none(), "it is deleted");
}

#[tokio::test]
async fn a_password_reset_ends_every_session_and_a_change_keeps_only_the_current_one() {
    let world = World::new().await;
    let a = UserId("a".into());
    let (phone, _) = world.store.create_session(&a, days(1, 90)).await.unwrap();
    let (laptop, _) = world.store.create_session(&a, days(1, 90)).await.unwrap();
    let (other, _) = world.store.create_session(&UserId("b".into()), days(1, 90)).await.unwrap();

    let wrong = world.store.change_own_password(&a, "not the password", "a new secret 1", &phone).await;
    assert!(
        matches!(wrong, Err(StoreError::Invalid(ref e)) if e.code == "current_password.wrong"),
        "{wrong:?}"
    );
    world.store.change_own_password(&a, PASSWORD, "a new secret 1", &phone).await.unwrap();
    assert!(world.store.session(&phone, days(1, 90)).await.unwrap().is_some(), "the device that changed it");
    assert!(world.store.session(&laptop, days(1, 90)).await.unwrap().is_none(), "every other device");
    assert!(world.store.check_credentials("a", "a new secret 1").await.unwrap().is_some());
    assert!(world.store.check_credentials("a", PASSWORD).await.unwrap().is_none());

    world.store.set_password(&a, "reset by admin", None).await.unwrap();
    assert!(world.store.session(&phone, days(1, 90)).await.unwrap().is_none());
    assert!(world.store.session(&other, days(1, 90)).await.unwrap().is_some(), "other users keep theirs");
    let missing = world.store.set_password(&UserId("nobody".into()), "whatever 123", None).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_sign_in() {
    let world = World::new().await;
    let (token, _) = world.store.create_session(&UserId("b".into()), days(1, 90)).await.unwrap();
    let user = world.store.set_user_disabled(&UserId("b".into()), true).await.unwrap();
    assert!(user.disabled);
    assert!(world.store.session(&token, days(1, 90)).await.unwrap().is_none());
    assert!(world.store.check_credentials("b", PASSWORD).await.unwrap().is_none());
    world.store.set_user_disabled(&UserId("b".into()), false).await.unwrap();
    assert!(world.store.check_credentials("b", PASSWORD).await.unwrap().is_some());
}
