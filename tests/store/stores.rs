//! Connected stores on both backends: adding one needs the credential key, its
//! credentials are sealed to its row and URL, the basics of every concern in one pass.

use std::collections::BTreeMap;

use chrono::Utc;
use polycart::store::{Cipher, Error as StoreError, NewStore, SqliteStore, Stores, Subscriptions};
use polycart_kit::{Entity, Secret};

use crate::common::*;

#[tokio::test]
async fn store_basics_on_both_backends() {
    for b in backends().await {
        let store = &b.store;
        // Credentials need the key.
        let new = NewStore {
            name: "s".into(),
            platform: "testshop".into(),
            base_url: url::Url::parse("https://shop.example.com").unwrap(),
            credentials: BTreeMap::from([("token".to_owned(), Secret::new("shh"))]),
            settings: BTreeMap::from([("plan".to_owned(), "plus".to_owned())]),
            entities: vec![Entity::Order],
            interval_secs: 60,
        };
        assert!(
            matches!(store.add_store(&new).await, Err(StoreError::MissingKey)),
            "{}",
            b.name
        );
        // Change feed numbering and hash-only upserts.
        let id = add_shop(store, &shop_url(1, 10), 60).await;
        let shop = Shop::generate(1, 10);
        let records: Vec<_> = shop
            .customers
            .keys()
            .map(|k| shop.record(Entity::Customer, *k).unwrap())
            .collect();
        let first = store.upsert_records(&id, &records).await.unwrap();
        assert_eq!(first.created, 10);
        let again = store.upsert_records(&id, &records).await.unwrap();
        assert_eq!((again.changed(), again.unchanged), (0, 10), "{}", b.name);
        let changes = store.changes_after(0, Some(&id), 100).await.unwrap();
        assert_eq!(changes.len(), 10);
        assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(
            store
                .changes_after(changes[4].seq, None, 100)
                .await
                .unwrap()
                .len(),
            5
        );
        // API keys are stored hashed and verified.
        let (key, plain) = store
            .create_api_key("ci", Some(std::slice::from_ref(&id)))
            .await
            .unwrap();
        assert_eq!(
            store.verify_api_key(&plain).await.unwrap().unwrap().id,
            key.id
        );
        assert!(store.verify_api_key("pck_wrong").await.unwrap().is_none());
        // Leases: one holder at a time; expired leases are taken over.
        let now = Utc::now();
        let a = store
            .lease_job("a", now, now + chrono::Duration::seconds(30))
            .await
            .unwrap()
            .unwrap();
        let b2 = store
            .lease_job("b", now, now + chrono::Duration::seconds(30))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(a.job_id, b2.job_id);
        assert!(
            store
                .lease_job("c", now, now + chrono::Duration::seconds(30))
                .await
                .unwrap()
                .is_none()
        );
        let later = now + chrono::Duration::seconds(31);
        let c = store
            .lease_job("c", later, later + chrono::Duration::seconds(30))
            .await
            .unwrap()
            .unwrap();
        assert!([a.job_id, b2.job_id].contains(&c.job_id));
        let lost = if c.job_id == a.job_id { &a } else { &b2 };
        assert!(
            matches!(
                store.renew_lease(lost, later).await,
                Err(StoreError::LeaseLost { .. })
            ),
            "{}",
            b.name
        );
        // A page from the worker that lost its lease is refused, and writes nothing.
        let pass = polycart::store::Pass {
            id: 99,
            full: false,
            since: None,
            started_at: Utc::now(),
            next: None,
            listed_all: true,
            max_updated: None,
        };
        let fresh = Shop::generate(500, 3);
        let page: Vec<_> = fresh
            .customers
            .keys()
            .map(|k| fresh.record(Entity::Customer, *k).unwrap())
            .collect();
        let refused = store
            .commit_page(&polycart::store::PageCommit {
                store_id: &lost.store_id,
                entity: lost.entity,
                records: &page,
                pass: &pass,
                fence: Some(lost),
                renew_until: later,
            })
            .await;
        assert!(
            matches!(refused, Err(StoreError::LeaseLost { .. })),
            "{}",
            b.name
        );
        assert!(
            store
                .get_record(&lost.store_id, Entity::Customer, page[0].platform_id())
                .await
                .unwrap()
                .is_none()
        );
        store.remove_store(&id).await.unwrap();
        assert!(store.list_stores().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn credentials_are_encrypted_and_the_key_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("k.db").display());
    let key = Cipher::parse(&"11".repeat(32)).unwrap();
    let store = SqliteStore::open(&url, Some(key.clone())).await.unwrap();
    let new = NewStore {
        name: "s".into(),
        platform: "testshop".into(),
        base_url: url::Url::parse("https://shop.example.com").unwrap(),
        credentials: BTreeMap::from([("token".to_owned(), Secret::new("very-secret-token"))]),
        settings: BTreeMap::new(),
        entities: vec![Entity::Order],
        interval_secs: 60,
    };
    let id = store.add_store(&new).await.unwrap().id;
    assert_eq!(
        store
            .store_config(&id)
            .await
            .unwrap()
            .credential("token")
            .unwrap()
            .expose(),
        "very-secret-token"
    );
    // Sealed credentials belong to their store and its URL: rewriting the URL in the
    // database, or copying them to another store, does not send them elsewhere.
    let other = store
        .add_store(&NewStore {
            credentials: BTreeMap::from([("token".to_owned(), Secret::new("other"))]),
            ..new.clone()
        })
        .await
        .unwrap()
        .id;
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    let tamper = |sql: &'static str, binds: [&str; 2]| {
        let raw = raw.clone();
        let binds = binds.map(str::to_owned);
        async move {
            let q = binds
                .iter()
                .fold(sqlx::query(sql), |q, b| q.bind(b.clone()));
            q.execute(&raw).await.unwrap();
        }
    };
    let token = |id: String| {
        let store = store.clone();
        async move {
            store
                .store_config(&id)
                .await
                .map(|c| c.credential("token").unwrap().expose().to_owned())
        }
    };
    tamper(
        "UPDATE stores SET credentials = (SELECT credentials FROM stores WHERE id = $1) WHERE id = $2",
        [&id, &other],
    )
    .await;
    assert!(matches!(
        token(other.clone()).await,
        Err(StoreError::Decrypt)
    ));
    let moved = "UPDATE stores SET base_url = $1 WHERE id = $2";
    tamper(moved, ["https://attacker.example.com/", &id]).await;
    assert!(matches!(token(id.clone()).await, Err(StoreError::Decrypt)));
    tamper(moved, ["https://shop.example.com/", &id]).await;
    assert_eq!(token(id.clone()).await.unwrap(), "very-secret-token");
    store.remove_store(&other).await.unwrap();
    raw.close().await;
    drop(store);
    let bytes = std::fs::read(dir.path().join("k.db")).unwrap();
    let wal = std::fs::read(dir.path().join("k.db-wal")).unwrap_or_default();
    let needle = b"very-secret-token";
    assert!(
        !bytes
            .windows(needle.len())
            .chain(wal.windows(needle.len()))
            .any(|w| w == needle)
    );
    assert!(matches!(
        SqliteStore::open(&url, None).await,
        Err(StoreError::MissingKey)
    ));
    let wrong = Cipher::parse(&"22".repeat(32)).unwrap();
    assert!(
        matches!(
            SqliteStore::open(&url, Some(wrong.clone())).await,
            Err(StoreError::Decrypt)
        ),
        "a wrong key is refused at start, not at the first sync"
    );
    // Subscription secrets are sealed too: with only those stored, the key is still
    // required, and must be the right one.
    let store = SqliteStore::open(&url, Some(key)).await.unwrap();
    store.remove_store(&id).await.unwrap();
    store
        .add_subscription(
            &url::Url::parse("https://hooks.example.com/in").unwrap(),
            &Secret::new("whsec_x"),
            None,
        )
        .await
        .unwrap();
    drop(store);
    assert!(matches!(
        SqliteStore::open(&url, None).await,
        Err(StoreError::MissingKey)
    ));
    assert!(matches!(
        SqliteStore::open(&url, Some(wrong)).await,
        Err(StoreError::Decrypt)
    ));
}
