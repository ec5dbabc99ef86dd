//! Records on both backends: an older version never replaces a newer one, and the
//! figures of `/metrics`.

use chrono::Utc;
use polycart::engine::SyncMode;
use polycart_kit::Entity;

use crate::common::*;

#[tokio::test]
async fn an_older_version_never_replaces_a_newer_one() {
    for b in backends().await {
        let id = add_shop(&b.store, &shop_url(33, 3), 60).await;
        let mut shop = Shop::generate(33, 3);
        let pid = *shop.customers.keys().next().unwrap();
        let t = Utc::now();
        let version = |shop: &mut Shop, email: &str, at| {
            let row = shop.customers.get_mut(&pid).unwrap();
            row.0 = email.to_owned();
            row.2 = at;
            shop.record(Entity::Customer, pid).unwrap()
        };
        let old = version(
            &mut shop,
            "old@example.com",
            t - chrono::Duration::minutes(2),
        );
        let new = version(&mut shop, "new@example.com", t);
        let newest = version(
            &mut shop,
            "newest@example.com",
            t + chrono::Duration::minutes(1),
        );
        // A webhook's re-read commits the new version; a page read before it arrives.
        assert_eq!(
            b.store
                .upsert_records(&id, std::slice::from_ref(&new))
                .await
                .unwrap()
                .created,
            1
        );
        let seq = b
            .store
            .changes_after(0, Some(&id), 100)
            .await
            .unwrap()
            .len();
        let pass = polycart::store::Pass {
            id: b.store.next_pass_id().await.unwrap(),
            full: true,
            since: None,
            started_at: t - chrono::Duration::minutes(5),
            next: None,
            listed_all: false,
            max_updated: None,
        };
        let outcome = b
            .store
            .commit_page(&polycart::store::PageCommit {
                store_id: &id,
                entity: Entity::Customer,
                records: std::slice::from_ref(&old),
                pass: &pass,
                fence: None,
                renew_until: Utc::now(),
            })
            .await
            .unwrap();
        assert_eq!((outcome.changed(), outcome.unchanged), (0, 1), "{}", b.name);
        let stored_doc = customer(&b.store, &id, &pid.to_string()).await.document;
        assert!(
            stored_doc.contains("new@example.com"),
            "{}: {stored_doc}",
            b.name
        );
        assert_eq!(
            b.store
                .changes_after(0, Some(&id), 100)
                .await
                .unwrap()
                .len(),
            seq,
            "{}",
            b.name
        );
        // The stale listing still counts as seen: reconciliation does not delete it.
        assert!(
            b.store
                .unseen_records(&id, Entity::Customer, &pass)
                .await
                .unwrap()
                .is_empty()
        );
        // A page listing the record twice writes (and announces) its newest version once.
        let outcome = b
            .store
            .upsert_records(&id, &[newest.clone(), old.clone()])
            .await
            .unwrap();
        assert_eq!((outcome.updated, outcome.unchanged), (1, 1), "{}", b.name);
        let changes = b.store.changes_after(0, Some(&id), 100).await.unwrap();
        assert_eq!(changes.len(), seq + 1);
        assert_eq!(
            changes.last().unwrap().record["email"],
            "newest@example.com"
        );
        // A deleted record comes back with whatever version is listed.
        b.store
            .mark_deleted(&id, Entity::Customer, &[pid.to_string()])
            .await
            .unwrap();
        assert_eq!(
            b.store.upsert_records(&id, &[old]).await.unwrap().created,
            1,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn entity_stats_count_live_records_on_both_backends() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(35, 120));
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source, |_| {});
        sync_store(&engine, &id, SyncMode::Auto).await;
        let gone = adapter
            .shop
            .lock()
            .unwrap()
            .customers
            .keys()
            .next()
            .unwrap()
            .to_string();
        b.store
            .mark_deleted(&id, Entity::Customer, &[gone])
            .await
            .unwrap();
        let stats = b.store.entity_stats().await.expect("entity stats query");
        let customers = stats
            .iter()
            .find(|s| s.store_id == id && s.entity == Entity::Customer)
            .unwrap_or_else(|| panic!("{}: no customer stats in {stats:?}", b.name));
        assert_eq!(customers.live_records, 119, "{}", b.name);
        assert!(customers.synced_through.is_some());
    }
}
