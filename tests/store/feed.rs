//! The change feed on both backends: a follower never skips a concurrent commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use polycart_kit::Entity;

use crate::common::*;

/// Writers commit concurrently on many connections while a follower reads the feed
/// from the last sequence it saw: it must never pass over a change that commits later
/// with a smaller sequence (on PostgreSQL, a sequence taken before commit would).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_of_the_change_feed_never_skips_a_concurrent_commit() {
    for b in backends().await {
        let mut stores = Vec::new();
        for seed in 0..6 {
            stores.push(add_shop(&b.store, &shop_url(40 + seed, 1), 60).await);
        }
        let writing = Arc::new(AtomicBool::new(true));
        let follower = {
            let (store, writing) = (b.store.clone(), writing.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut after = 0;
                loop {
                    let last_round = !writing.load(Ordering::SeqCst);
                    let page = store.changes_after(after, None, 50).await.unwrap();
                    if let Some(last) = page.last() {
                        after = last.seq;
                    }
                    let empty = page.is_empty();
                    seen.extend(page.into_iter().map(|c| c.seq));
                    if last_round && empty {
                        return seen;
                    }
                    tokio::task::yield_now().await;
                }
            })
        };
        let mut writers = Vec::new();
        for (w, store_id) in stores.iter().enumerate() {
            let (store, store_id) = (b.store.clone(), store_id.clone());
            writers.push(tokio::spawn(async move {
                let mut shop = Shop::generate(60 + w as u64, 3);
                for round in 0..25u64 {
                    shop.churn(round, 2, Utc::now());
                    let records: Vec<_> = shop
                        .customers
                        .keys()
                        .map(|k| shop.record(Entity::Customer, *k).unwrap())
                        .collect();
                    store.upsert_records(&store_id, &records).await.unwrap();
                }
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        writing.store(false, Ordering::SeqCst);
        let seen = follower.await.unwrap();
        let all: Vec<i64> = b
            .store
            .changes_after(0, None, 1_000_000)
            .await
            .unwrap()
            .iter()
            .map(|c| c.seq)
            .collect();
        assert!(all.len() >= 6 * 25, "{}: {} changes", b.name, all.len());
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        let read: std::collections::BTreeSet<i64> = seen.iter().copied().collect();
        let skipped: Vec<i64> = all.iter().copied().filter(|s| !read.contains(s)).collect();
        assert!(
            skipped.is_empty(),
            "{}: the follower skipped {skipped:?}",
            b.name
        );
        assert_eq!(
            seen, all,
            "{}: the follower read changes twice or out of order",
            b.name
        );
    }
}

/// Writers race to store versions of one record, each version newer than the last
/// one handed out: the store keeps only versions newer than what it holds, and the
/// feed must announce the kept versions in the order they were stored, ending with
/// the stored one — a follower applying the feed in order ends where the store is.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_versions_of_one_record_appear_in_the_order_they_were_stored() {
    use std::sync::atomic::AtomicU64;

    for b in backends().await {
        let store_id = add_shop(&b.store, &shop_url(90, 1), 60).await;
        let base = Utc::now() - chrono::Duration::days(1);
        let next = Arc::new(AtomicU64::new(1));
        let mut writers = Vec::new();
        for _ in 0..6 {
            let (store, store_id, next) = (b.store.clone(), store_id.clone(), next.clone());
            writers.push(tokio::spawn(async move {
                for _ in 0..20 {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let mut shop = Shop::generate(1, 0);
                    let at = base + chrono::Duration::seconds(n as i64);
                    shop.customers
                        .insert(7, (format!("v{n}@example.com"), base, at));
                    let record = shop.record(Entity::Customer, 7).unwrap();
                    store.upsert_records(&store_id, &[record]).await.unwrap();
                }
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        let emails: Vec<String> = b
            .store
            .changes_after(0, Some(&store_id), 1_000_000)
            .await
            .unwrap()
            .iter()
            .filter(|c| c.platform_id == "7")
            .map(|c| c.record["email"].as_str().unwrap().to_owned())
            .collect();
        let versions: Vec<u64> = emails
            .iter()
            .map(|e| {
                e.trim_start_matches('v')
                    .trim_end_matches("@example.com")
                    .parse()
                    .unwrap()
            })
            .collect();
        assert!(!versions.is_empty(), "{}: no change announced", b.name);
        assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "{}: versions announced out of order: {versions:?}",
            b.name
        );
        let stored = customer(&b.store, &store_id, "7").await;
        let document: serde_json::Value = serde_json::from_str(&stored.document).unwrap();
        assert_eq!(
            document["email"].as_str(),
            emails.last().map(String::as_str),
            "{}: the feed's last version is not the stored one",
            b.name
        );
    }
}
