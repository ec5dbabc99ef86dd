//! Subscriptions in API2Cart's format on both backends (migration 0007): an API2Cart
//! webhook keeps its settings and numeric id, its callback can move (the secret is
//! sealed again to the new URL and still opens), and a `/v1` subscription beside it
//! stays in polycart's format.

use polycart::store::Api2CartHook;
use polycart_kit::Secret;

use crate::common::*;

fn hook(entity: &str, action: &str) -> Api2CartHook {
    let now = chrono::Utc::now();
    Api2CartHook {
        id: 0,
        entity: entity.into(),
        action: action.into(),
        label: Some("label".into()),
        fields: Some("id,name".into()),
        active: true,
        created_at: now,
        updated_at: now,
    }
}

#[tokio::test]
async fn api2cart_subscriptions_keep_their_format_on_both_backends() {
    for b in backends().await {
        let n = b.name;
        let store = keyed(&b).await;
        let shop = add_shop(&store, &format!("http://shop.test/{}", unique("a2c")), 60).await;
        let url = url::Url::parse("https://receiver.example.com/a2c").unwrap();
        let plain = store
            .add_subscription(
                &url,
                &Secret::new(String::from("a-batch-secret-0123456789")),
                Some(&shop),
            )
            .await
            .unwrap();
        let (first, first_id) = store
            .add_api2cart_subscription(
                &url,
                &Secret::new(String::from("the-api-key-0123456789")),
                &shop,
                &hook("product", "add"),
            )
            .await
            .unwrap();
        let (second, second_id) = store
            .add_api2cart_subscription(
                &url,
                &Secret::new(String::from("the-api-key-0123456789")),
                &shop,
                &hook("order", "update"),
            )
            .await
            .unwrap();
        assert!(
            first_id >= 1 && second_id > first_id,
            "{n}: {first_id} {second_id}"
        );

        assert!(
            store
                .get_subscription(&plain)
                .await
                .unwrap()
                .api2cart
                .is_none(),
            "{n}"
        );
        let got = store.get_subscription(&first).await.unwrap();
        let settings = got.api2cart.clone().expect("api2cart format");
        assert_eq!(settings.id, first_id, "{n}");
        assert_eq!(
            (settings.entity.as_str(), settings.action.as_str()),
            ("product", "add"),
            "{n}"
        );
        assert_eq!(settings.fields.as_deref(), Some("id,name"), "{n}");
        assert_eq!(got.secret.expose(), "the-api-key-0123456789", "{n}");

        // Move the callback and pause it: the secret still opens under the new URL.
        let moved = url::Url::parse("https://elsewhere.example.com/hook?t=1").unwrap();
        let mut paused = settings.clone();
        paused.active = false;
        paused.label = None;
        store
            .update_api2cart_subscription(&first, &moved, &paused)
            .await
            .unwrap();
        let got = store.get_subscription(&first).await.unwrap();
        assert_eq!(got.url, moved.as_str(), "{n}");
        assert_eq!(got.secret.expose(), "the-api-key-0123456789", "{n}");
        let settings = got.api2cart.unwrap();
        assert!(!settings.active && settings.label.is_none(), "{n}");
        // A /v1 subscription is not an API2Cart webhook to update.
        assert!(
            store
                .update_api2cart_subscription(&plain, &moved, &paused)
                .await
                .is_err(),
            "{n}"
        );

        // Listed with their formats; removed like any subscription.
        let all = store.subscriptions().await.unwrap();
        let formats: Vec<_> = all
            .iter()
            .filter(|s| s.store_id.as_deref() == Some(shop.as_str()))
            .map(|s| s.api2cart.as_ref().map(|h| h.id))
            .collect();
        assert_eq!(formats.len(), 3, "{n}");
        assert!(
            formats.contains(&None) && formats.contains(&Some(second_id)),
            "{n}"
        );
        store.remove_subscription(&second).await.unwrap();
        assert!(store.get_subscription(&second).await.is_err(), "{n}");
    }
}
