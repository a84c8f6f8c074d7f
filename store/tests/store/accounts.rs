//! Users, passwords and sessions.

use domain::ids::UserId;
use domain::policy::Role;
use store::{NewUser, StoreError};

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
async fn a_session_is_found_by_its_token_and_renewed_past_half_its_life() {
    let world = World::new().await;
    let (token, expires) = world.store.create_session(&UserId("a".into()), DAY_MS).await.unwrap();
    let found = world.store.session(&token, DAY_MS).await.unwrap().expect("session");
    assert_eq!(found.user.id, UserId("a".into()));
    assert!(!found.renewed);
    assert_eq!(found.expires_at, expires);
    // Looked up with a longer lifetime, the same session is past half of it.
    let renewed = world.store.session(&token, 4 * DAY_MS).await.unwrap().expect("session");
    assert!(renewed.renewed && renewed.expires_at > expires);
    assert!(world.store.session("not-a-token", DAY_MS).await.unwrap().is_none());
    world.store.delete_session(&token).await.unwrap();
    assert!(world.store.session(&token, DAY_MS).await.unwrap().is_none());
}

#[tokio::test]
async fn an_expired_session_is_gone() {
    let world = World::new().await;
    let (token, _) = world.store.create_session(&UserId("a".into()), -1).await.unwrap();
    assert!(world.store.session(&token, DAY_MS).await.unwrap().is_none());
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_sign_in() {
    let world = World::new().await;
    let (token, _) = world.store.create_session(&UserId("b".into()), DAY_MS).await.unwrap();
    let user = world.store.set_user_disabled(&UserId("b".into()), true).await.unwrap();
    assert!(user.disabled);
    assert!(world.store.session(&token, DAY_MS).await.unwrap().is_none());
    assert!(world.store.check_credentials("b", PASSWORD).await.unwrap().is_none());
    world.store.set_user_disabled(&UserId("b".into()), false).await.unwrap();
    assert!(world.store.check_credentials("b", PASSWORD).await.unwrap().is_some());
}
