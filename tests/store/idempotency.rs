//! Idempotency keys and platform webhook deliveries on both backends.

use crate::common::*;

#[tokio::test]
async fn idempotency_keys_hold_replay_release_and_expire_on_both_backends() {
    use polycart::store::{IdempotencyState, IdempotencyWindow};
    for b in backends().await {
        let store = &b.store;
        let t0 = chrono::Utc::now();
        let old = t0 - chrono::Duration::hours(24);
        let window = |now: chrono::DateTime<chrono::Utc>, expire_before| IdempotencyWindow {
            now,
            expire_before,
            lease_expired_before: now - chrono::Duration::minutes(5),
        };
        let begin =
            |key: &'static str, hash: &'static str, now: chrono::DateTime<chrono::Utc>, expire| {
                let store = store.clone();
                async move {
                    store
                        .begin_idempotent("key_1", key, hash, window(now, expire))
                        .await
                        .unwrap()
                }
            };
        assert_eq!(
            begin("k", "h1", t0, old).await,
            IdempotencyState::Started,
            "{}",
            b.name
        );
        assert_eq!(
            begin("k", "h1", t0, old).await,
            IdempotencyState::InProgress {
                request_hash: "h1".into()
            },
            "{}: a running request holds its key",
            b.name
        );
        store
            .finish_idempotent("key_1", "k", 200, r#"{"ok":true}"#)
            .await
            .unwrap();
        assert_eq!(
            begin("k", "h1", t0, old).await,
            IdempotencyState::Done {
                request_hash: "h1".into(),
                status: 200,
                body: r#"{"ok":true}"#.into()
            },
            "{}",
            b.name
        );
        // Keys are per API key.
        assert_eq!(
            store
                .begin_idempotent("key_2", "k", "h1", window(t0, old))
                .await
                .unwrap(),
            IdempotencyState::Started,
            "{}",
            b.name
        );
        // A released key can be taken again; a finished one is not released.
        assert_eq!(begin("r", "h2", t0, old).await, IdempotencyState::Started);
        store.abandon_idempotent("key_1", "r").await.unwrap();
        assert_eq!(
            begin("r", "h2", t0, old).await,
            IdempotencyState::Started,
            "{}",
            b.name
        );
        store.abandon_idempotent("key_1", "k").await.unwrap();
        assert!(matches!(
            begin("k", "h1", t0, old).await,
            IdempotencyState::Done { .. }
        ));
        // After the TTL a key is forgotten.
        let later = t0 + chrono::Duration::hours(25);
        assert_eq!(
            begin("k", "h9", later, later - chrono::Duration::hours(24)).await,
            IdempotencyState::Started,
            "{}",
            b.name
        );
        // A key left in progress by a crash is released when its lease expires,
        // minutes later, not after the day a finished key is kept.
        assert_eq!(
            begin("crash", "h3", t0, old).await,
            IdempotencyState::Started
        );
        assert!(matches!(
            begin("crash", "h3", t0 + chrono::Duration::minutes(4), old).await,
            IdempotencyState::InProgress { .. }
        ));
        assert_eq!(
            begin("crash", "h3", t0 + chrono::Duration::minutes(6), old).await,
            IdempotencyState::Started,
            "{}: an expired lease releases the key",
            b.name
        );
    }
}

#[tokio::test]
async fn platform_webhook_deliveries_are_recognised_for_a_day() {
    for b in backends().await {
        let store = &b.store;
        let id = add_shop(store, &shop_url(51, 1), 60).await;
        let t0 = chrono::Utc::now();
        let day = chrono::Duration::hours(24);
        assert!(
            store.first_delivery(&id, "d1", t0, t0 - day).await.unwrap(),
            "{}",
            b.name
        );
        assert!(
            !store.first_delivery(&id, "d1", t0, t0 - day).await.unwrap(),
            "{}",
            b.name
        );
        assert!(store.first_delivery(&id, "d2", t0, t0 - day).await.unwrap());
        // A day later the first is forgotten.
        let later = t0 + chrono::Duration::hours(25);
        assert!(
            store
                .first_delivery(&id, "d1", later, later - day)
                .await
                .unwrap(),
            "{}",
            b.name
        );
    }
}
