//! Schema drift on both backends: shapes stored and replaced, findings counted per
//! field and capped per platform × entity × version, deprecations refreshed and
//! scoped to existing stores.

use polycart::store::{DeprecationRow, MAX_DRIFT_ROWS};
use polycart_kit::Entity;
use polycart_kit::drift::{DriftKind, Finding, JsonType, Shape};

use crate::common::*;

fn unknown(field: &str) -> Finding {
    Finding {
        field: field.to_owned(),
        kind: DriftKind::UnknownField,
        seen_type: JsonType::String,
        expected_type: None,
    }
}

#[tokio::test]
async fn drift_is_counted_capped_and_scoped_on_both_backends() {
    for b in backends().await {
        let store = &b.store;
        let (t0, t1) = (
            chrono::Utc::now() - chrono::Duration::hours(1),
            chrono::Utc::now(),
        );
        let (v, n) = ("2026-01", b.name);
        assert!(
            store
                .load_shape("testshop", Entity::Order, v)
                .await
                .unwrap()
                .is_none(),
            "{n}"
        );
        let shape = Shape::learn([&serde_json::json!({"id": 1, "total": "2.00"})]);
        store
            .save_shape("testshop", Entity::Order, v, &shape, t0)
            .await
            .unwrap();
        store
            .save_shape("testshop", Entity::Order, v, &shape, t1)
            .await
            .unwrap();
        assert_eq!(
            store
                .load_shape("testshop", Entity::Order, v)
                .await
                .unwrap(),
            Some(shape),
            "{n}"
        );

        let changed = Finding {
            field: "id".into(),
            kind: DriftKind::TypeChanged,
            seen_type: JsonType::String,
            expected_type: Some(JsonType::Number),
        };
        let page = [unknown("note"), unknown("note"), changed.clone()];
        store
            .record_drift("testshop", Entity::Order, v, &page, t0)
            .await
            .unwrap();
        store
            .record_drift("testshop", Entity::Order, v, &[unknown("note")], t1)
            .await
            .unwrap();
        let rows = store.drift_rows().await.unwrap();
        let note = rows.iter().find(|r| r.field == "note").expect(n);
        assert_eq!(
            (
                note.count,
                note.kind.as_str(),
                note.expected_type.as_deref()
            ),
            (3, "unknown_field", None),
            "{n}"
        );
        assert_eq!(
            (note.first_seen.timestamp(), note.last_seen.timestamp()),
            (t0.timestamp(), t1.timestamp()),
            "{n}"
        );
        let id = rows.iter().find(|r| r.field == "id").expect(n);
        assert_eq!(
            (id.seen_type.as_str(), id.expected_type.as_deref()),
            ("string", Some("number")),
            "{n}"
        );

        // The cap: new fields past it are dropped, known ones still count.
        let many: Vec<Finding> = (0..MAX_DRIFT_ROWS + 10)
            .map(|i| unknown(&format!("f{i}")))
            .collect();
        store
            .record_drift("testshop", Entity::Order, v, &many, t1)
            .await
            .unwrap();
        let rows = store.drift_rows().await.unwrap();
        assert_eq!(rows.len() as i64, MAX_DRIFT_ROWS, "{n}");
        store
            .record_drift("testshop", Entity::Order, v, &[unknown("note")], t1)
            .await
            .unwrap();
        let rows = store.drift_rows().await.unwrap();
        assert_eq!(
            rows.iter().find(|r| r.field == "note").unwrap().count,
            4,
            "{n}"
        );

        // Deprecations: one per store and version, refreshed; removed stores' hidden.
        let shop = add_shop(store, &format!("https://{}.test", unique("dep")), 60).await;
        let row = |reason: &str, at| DeprecationRow {
            platform: "testshop".into(),
            store_id: shop.clone(),
            api_version: v.into(),
            reason: reason.into(),
            sunset: Some(t1 + chrono::Duration::days(30)),
            first_seen: at,
            last_seen: at,
        };
        store
            .record_deprecation(&row("old words", t0))
            .await
            .unwrap();
        store
            .record_deprecation(&row("new words", t1))
            .await
            .unwrap();
        let mut ghost = row("gone", t1);
        ghost.store_id = "st_removed".into();
        store.record_deprecation(&ghost).await.unwrap();
        let all = store.deprecations(None).await.unwrap();
        assert_eq!(all.len(), 1, "{n}: {all:#?}");
        assert_eq!(
            (all[0].reason.as_str(), all[0].first_seen.timestamp()),
            ("new words", t0.timestamp()),
            "{n}"
        );
        assert_eq!(
            store
                .deprecations(Some(&[shop.clone()]))
                .await
                .unwrap()
                .len(),
            1,
            "{n}"
        );
        let others: &[String] = &["st_other".to_owned()];
        assert!(
            store.deprecations(Some(others)).await.unwrap().is_empty(),
            "{n}"
        );
    }
}
