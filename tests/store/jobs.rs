//! Job leases on both backends: the fencing token refuses an earlier holder of the same
//! name.

use std::collections::BTreeMap;

use chrono::Utc;
use polycart::store::{Error as StoreError, NewStore};
use polycart_kit::Entity;

use crate::common::*;

#[tokio::test]
async fn a_lease_granted_again_to_the_same_owner_fences_the_earlier_holder() {
    for b in backends().await {
        let id = b
            .store
            .add_store(&NewStore {
                name: "one job".into(),
                platform: "testshop".into(),
                base_url: url::Url::parse(&shop_url(34, 3)).unwrap(),
                credentials: BTreeMap::new(),
                settings: BTreeMap::new(),
                entities: vec![Entity::Customer],
                interval_secs: 60,
            })
            .await
            .unwrap()
            .id;
        let ttl = chrono::Duration::seconds(30);
        let t = Utc::now();
        let claim = |now: chrono::DateTime<Utc>| {
            let store = b.store.clone();
            let id = id.clone();
            async move {
                store
                    .claim_job(&id, Entity::Customer, "worker", now, now + ttl, |_| false)
                    .await
                    .unwrap()
                    .expect("free, expired or ours")
            }
        };
        let first = claim(t).await;
        // Two processes started with one `--id` (or one process's second task after
        // its first lease expired) hold leases of the same name.
        let second = claim(t + chrono::Duration::seconds(31)).await;
        assert_eq!((first.job_id, &first.owner), (second.job_id, &second.owner));
        assert_ne!(first.token, second.token, "{}", b.name);
        let shop = Shop::generate(34, 3);
        let records = [shop
            .record(Entity::Customer, *shop.customers.keys().next().unwrap())
            .unwrap()];
        let pass = polycart::store::Pass {
            id: 1,
            full: false,
            since: None,
            started_at: t,
            next: None,
            listed_all: false,
            max_updated: None,
        };
        let page = |lease| polycart::store::PageCommit {
            store_id: &id,
            entity: Entity::Customer,
            records: &records,
            pass: &pass,
            fence: Some(lease),
            renew_until: t + chrono::Duration::seconds(60),
        };
        assert!(
            matches!(
                b.store.commit_page(&page(&first)).await,
                Err(StoreError::LeaseLost { .. })
            ),
            "{}: the earlier holder's page is refused",
            b.name
        );
        assert!(
            b.store
                .get_record(&id, Entity::Customer, records[0].platform_id())
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            b.store.renew_lease(&first, t).await,
            Err(StoreError::LeaseLost { .. })
        ));
        assert!(matches!(
            b.store
                .save_pass(&id, Entity::Customer, &pass, Some(&first))
                .await,
            Err(StoreError::LeaseLost { .. })
        ));
        // Giving back the earlier lease does not free the job under the later one.
        b.store.release_job(&first, t).await.unwrap();
        let now = t + chrono::Duration::seconds(40);
        assert!(
            b.store
                .lease_job("other", now, now + ttl)
                .await
                .unwrap()
                .is_none(),
            "{}",
            b.name
        );
        b.store.renew_lease(&second, now + ttl).await.unwrap();
        assert_eq!(
            b.store.commit_page(&page(&second)).await.unwrap().created,
            1
        );
        // Leases from the scheduler carry their token too: an expired one leased again
        // by the same name fences the first.
        b.store.release_job(&second, t).await.unwrap();
        let later = t + chrono::Duration::seconds(100);
        let leased = b
            .store
            .lease_job("worker", later, later + ttl)
            .await
            .unwrap()
            .unwrap();
        let expired = later + ttl + chrono::Duration::seconds(1);
        let again = b
            .store
            .lease_job("worker", expired, expired + ttl)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(leased.job_id, again.job_id);
        assert!(again.token > leased.token, "{}", b.name);
        assert!(matches!(
            b.store.renew_lease(&leased, expired).await,
            Err(StoreError::LeaseLost { .. })
        ));
        b.store.renew_lease(&again, expired + ttl).await.unwrap();
    }
}

/// A worker with several free slots leases several jobs in one transaction: each job
/// goes to one holder, most overdue first, and a second worker gets only the rest.
#[tokio::test]
async fn jobs_leased_in_a_batch_go_to_one_holder_each() {
    for b in backends().await {
        let id = b
            .store
            .add_store(&NewStore {
                name: "five jobs".into(),
                platform: "testshop".into(),
                base_url: url::Url::parse(&shop_url(35, 3)).unwrap(),
                credentials: BTreeMap::new(),
                settings: BTreeMap::new(),
                entities: vec![
                    Entity::Customer,
                    Entity::Category,
                    Entity::Order,
                    Entity::Product,
                    Entity::Inventory,
                ],
                interval_secs: 60,
            })
            .await
            .unwrap()
            .id;
        let ttl = chrono::Duration::seconds(30);
        let now = Utc::now() + chrono::Duration::seconds(1);
        let first = b.store.lease_jobs("a", now, now + ttl, 3).await.unwrap();
        let second = b.store.lease_jobs("b", now, now + ttl, 64).await.unwrap();
        let third = b.store.lease_jobs("c", now, now + ttl, 64).await.unwrap();
        assert_eq!(
            (first.len(), second.len(), third.len()),
            (3, 2, 0),
            "{}",
            b.name
        );
        let mut jobs: Vec<i64> = first.iter().chain(&second).map(|l| l.job_id).collect();
        jobs.sort();
        jobs.dedup();
        assert_eq!(jobs.len(), 5, "{}: a job leased twice", b.name);
        assert!(first.iter().all(|l| l.owner == "a" && l.store_id == id));
        // Leased in a batch, fenced one by one: a lease given back frees only its job.
        b.store.release_job(&first[0], now).await.unwrap();
        let again = b.store.lease_jobs("c", now, now + ttl, 64).await.unwrap();
        assert_eq!(again.len(), 1, "{}", b.name);
        assert_eq!(again[0].job_id, first[0].job_id, "{}", b.name);
    }
}
