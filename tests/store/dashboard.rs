//! What the dashboard reads, on both backends: API keys listed and revoked, a store's
//! latest runs (newest first, bounded), running and queued jobs with their workers,
//! and the change feed's head.

use std::collections::BTreeMap;

use chrono::Utc;
use polycart::store::{Error as StoreError, NewStore, SyncRun};
use polycart_kit::Entity;

use crate::common::*;

#[tokio::test]
async fn keys_runs_jobs_and_the_feed_head_read_on_both_backends() {
    for b in backends().await {
        let store = &b.store;
        // Keys: listed without secrets, revoked once, refused afterwards.
        let (admin, _) = store.create_api_key("admin", None).await.unwrap();
        let (scoped, plain) = store
            .create_api_key("scoped", Some(&["st_x".to_owned()]))
            .await
            .unwrap();
        let keys = store.list_api_keys().await.unwrap();
        assert_eq!(
            keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
            [admin.id.as_str(), scoped.id.as_str()],
            "{}",
            b.name
        );
        assert_eq!(keys[1].store_ids, Some(vec!["st_x".to_owned()]));
        store.revoke_api_key(&scoped.id).await.unwrap();
        assert!(store.verify_api_key(&plain).await.unwrap().is_none());
        assert!(matches!(
            store.revoke_api_key(&scoped.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.list_api_keys().await.unwrap().len(), 1);

        // Runs: the latest first, at most `limit`.
        let id = store
            .add_store(&NewStore {
                name: "dash".into(),
                platform: "testshop".into(),
                base_url: url::Url::parse(&shop_url(35, 3)).unwrap(),
                credentials: BTreeMap::new(),
                settings: BTreeMap::new(),
                entities: vec![Entity::Order, Entity::Product],
                interval_secs: 60,
            })
            .await
            .unwrap()
            .id;
        let mut run_ids = Vec::new();
        for n in 0..3 {
            let run = store
                .start_run(&id, Entity::Order, "incremental", "w1")
                .await
                .unwrap();
            store
                .finish_run(&SyncRun {
                    id: run,
                    records: n,
                    ..SyncRun::default()
                })
                .await
                .unwrap();
            run_ids.push(run);
        }
        let recent = store.recent_runs(&id, 2).await.unwrap();
        assert_eq!(
            recent.iter().map(|r| r.id).collect::<Vec<_>>(),
            [run_ids[2], run_ids[1]],
            "{}",
            b.name
        );
        assert!(store.recent_runs("st_none", 5).await.unwrap().is_empty());

        // Jobs: both due now (queued); one leased (running, with its worker).
        store.schedule_now(&id).await.unwrap();
        let now = Utc::now() + chrono::Duration::seconds(1);
        let queued = store.active_jobs(now, 10).await.unwrap();
        assert_eq!(queued.len(), 2, "{}: {queued:?}", b.name);
        assert!(queued.iter().all(|j| j.worker.is_none()));
        let lease = store
            .lease_job("w9", now, now + chrono::Duration::seconds(30))
            .await
            .unwrap()
            .expect("a due job");
        let jobs = store.active_jobs(now, 10).await.unwrap();
        assert_eq!(
            jobs[0].worker.as_deref(),
            Some("w9"),
            "{}: running first",
            b.name
        );
        assert_eq!(jobs[0].entity, lease.entity.as_str());
        assert!(jobs[1].worker.is_none());
        assert_eq!(store.active_jobs(now, 1).await.unwrap().len(), 1);

        // The feed's head: 0 while empty.
        assert_eq!(store.feed_head(None).await.unwrap(), 0);
        assert_eq!(store.feed_head(Some(&id)).await.unwrap(), 0);
    }
}
