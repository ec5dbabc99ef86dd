//! The adapter against its simulator: every order and product listed once through
//! `limit=offset,count`, incremental passes with `filter[date_upd]` and `date=1`, get
//! by id, the currency from `/api/currencies`, the shop's classic failures as typed
//! errors, and the writes read back.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;

use chrono::{Duration, Utc};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::{OrderStatus, Record};
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};
use polycart_kit::walk::collect_all;
use polycart_kit::{Adapter, Entity, Error, InventoryChange, ListQuery, Secret, Write, WriteOp};
use polycart_prestashop::PrestaShopAdapter;
use polycart_prestashop::sim::{PrestaShopSim, ShopMode, start};

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn setup() -> (SimServer, PrestaShopSim, PrestaShopAdapter) {
    let options = SimOptions {
        seed: 5,
        size: StoreSize {
            products: 15,
            customers: 10,
            orders: 57,
        },
        ..SimOptions::default()
    };
    let (server, sim) = start(options, local()).await.unwrap();
    let adapter = adapter(&server);
    (server, sim, adapter)
}

fn adapter(server: &SimServer) -> PrestaShopAdapter {
    let credentials: BTreeMap<String, Secret> = server
        .info
        .credentials
        .iter()
        .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
        .collect();
    let store = StoreConfig {
        store_id: "p1".into(),
        base_url: server.info.base_url.parse().unwrap(),
        credentials,
        settings: BTreeMap::new(),
    };
    PrestaShopAdapter::new(&store, &AdapterContext::default()).unwrap()
}

fn ids(records: &[Record]) -> HashSet<String> {
    records.iter().map(|r| r.platform_id().to_owned()).collect()
}

#[tokio::test]
async fn lists_everything_once_and_incrementally() {
    let (_server, sim, adapter) = setup().await;
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(10))
        .await
        .unwrap();
    let truth: HashSet<String> = sim
        .store()
        .orders
        .iter()
        .filter(|o| !o.deleted)
        .map(|o| o.id.to_string())
        .collect();
    assert_eq!(orders.len(), truth.len());
    assert_eq!(ids(&orders), truth);
    let Record::Order(o) = &orders[0] else {
        panic!("not an order")
    };
    assert_eq!(
        o.currency.as_ref().map(|c| c.as_str().to_owned()),
        Some(sim.store().currency.to_owned())
    );
    assert!(o.totals.total.is_some() && !o.line_items.is_empty() && o.created_at.is_some());

    let products = collect_all(&adapter, ListQuery::new(Entity::Product).page_size(4))
        .await
        .unwrap();
    assert_eq!(products.len(), sim.store().products.len());

    let since = Utc::now() - Duration::seconds(5);
    let changed = {
        let mut s = sim.store();
        s.orders[7].updated_at = Utc::now();
        s.orders[7].id.to_string()
    };
    let recent = collect_all(&adapter, ListQuery::new(Entity::Order).updated_since(since))
        .await
        .unwrap();
    assert_eq!(ids(&recent), HashSet::from([changed.clone()]));
    assert_eq!(
        adapter
            .get(Entity::Order, &changed)
            .await
            .unwrap()
            .platform_id(),
        changed
    );
    assert!(matches!(
        adapter.get(Entity::Order, "999999").await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn the_classic_failures_are_typed_errors() {
    let (server, sim, _) = setup().await;
    sim.set_mode(ShopMode::WebserviceDisabled);
    let e = adapter(&server)
        .list(&ListQuery::new(Entity::Order))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e}");
    assert!(e.to_string().contains("webservice is disabled"));
    sim.set_mode(ShopMode::PhpWarnings);
    let e = adapter(&server)
        .list(&ListQuery::new(Entity::Order))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("PHP warnings"), "{e}");
    sim.set_mode(ShopMode::HtmlErrorPage);
    let e = adapter(&server)
        .list(&ListQuery::new(Entity::Order))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("HTML page"), "{e}");
    sim.set_mode(ShopMode::Normal);
    assert!(
        adapter(&server)
            .list(&ListQuery::new(Entity::Order))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn writes_read_back() {
    let (server, sim, adapter) = setup().await;
    let order = sim.store().orders[2].id.to_string();
    let written = adapter
        .write(&Write::new(WriteOp::UpdateOrderStatus {
            order_id: order.clone(),
            status: OrderStatus::Completed,
            note: None,
        }))
        .await
        .unwrap();
    let Record::Order(o) = written else {
        panic!("not an order")
    };
    assert_eq!(
        (o.platform_status.as_deref(), o.status),
        (Some("5"), Some(OrderStatus::Completed))
    );

    let (simple, multi, variant, stock) = {
        let s = sim.store();
        let simple = s
            .products
            .iter()
            .find(|p| p.variants.len() == 1)
            .unwrap()
            .id
            .to_string();
        let m = s.products.iter().find(|p| p.variants.len() > 1).unwrap();
        (
            simple,
            m.id.to_string(),
            m.variants[0].id.to_string(),
            m.variants[0].total_stock(),
        )
    };
    adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: Some(multi.clone()),
            variant_id: Some(variant.clone()),
            sku: None,
            location_id: None,
            change: InventoryChange::Delta(-3),
        }))
        .await
        .unwrap();
    let now = sim
        .store()
        .products
        .iter()
        .find(|p| p.id.to_string() == multi)
        .unwrap()
        .variants[0]
        .total_stock();
    assert_eq!(now, stock - 3);
    adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: Some(simple.clone()),
            variant_id: None,
            sku: None,
            location_id: None,
            change: InventoryChange::Absolute(42),
        }))
        .await
        .unwrap();
    let now = sim
        .store()
        .products
        .iter()
        .find(|p| p.id.to_string() == simple)
        .unwrap()
        .variants[0]
        .total_stock();
    assert_eq!(now, 42);
    // An id PrestaShop cannot have never reaches it.
    let before = server.requests();
    let bad = adapter
        .write(&Write::new(WriteOp::UpdateOrderStatus {
            order_id: "1/../2".into(),
            status: OrderStatus::Completed,
            note: None,
        }))
        .await;
    assert!(bad.is_err());
    assert_eq!(server.requests(), before);
}

#[tokio::test]
async fn combinations_are_variants_with_prices_and_stock_and_prices_are_written() {
    let (_server, sim, adapter) = setup().await;
    let (multi, second, skus, stocks) = {
        let s = sim.store();
        let m = s.products.iter().find(|p| p.variants.len() > 1).unwrap();
        (
            m.id.to_string(),
            m.variants[1].id.to_string(),
            m.variants.iter().map(|v| v.sku.clone()).collect::<Vec<_>>(),
            m.variants
                .iter()
                .map(|v| v.total_stock())
                .collect::<Vec<_>>(),
        )
    };
    let product = |r: Record| match r {
        Record::Product(p) => p,
        other => panic!("not a product: {other:?}"),
    };
    let read = product(adapter.get(Entity::Product, &multi).await.unwrap());
    assert_eq!(
        read.variants
            .iter()
            .map(|v| v.sku.clone().unwrap())
            .collect::<Vec<_>>(),
        skus
    );
    assert_eq!(
        read.variants
            .iter()
            .map(|v| v.inventory_quantity.unwrap())
            .collect::<Vec<_>>(),
        stocks
    );
    assert_eq!(read.inventory_quantity, Some(stocks.iter().sum()));
    // The listing fills in the same variants as the single read.
    let listed = collect_all(&adapter, ListQuery::new(Entity::Product))
        .await
        .unwrap();
    let from_list = listed
        .into_iter()
        .map(product)
        .find(|p| p.platform_id == multi)
        .unwrap();
    assert_eq!(from_list.variants, read.variants);

    // A combination's price: its impact on the product's price is what changes.
    let price = |d: &str| d.parse::<rust_decimal::Decimal>().unwrap();
    let written = product(
        adapter
            .write(&Write::new(WriteOp::UpdateProduct {
                product_id: multi.clone(),
                variant_id: Some(second.clone()),
                title: None,
                status: None,
                price: Some(price("17.25")),
                compare_at_price: None,
            }))
            .await
            .unwrap(),
    );
    let variant = |p: &polycart_kit::model::Product, id: &str| {
        p.variants
            .iter()
            .find(|v| v.platform_id == id)
            .and_then(|v| v.price.as_ref())
            .map(|m| m.amount)
    };
    assert_eq!(variant(&written, &second), Some(price("17.25")));
    // The product's price moves every combination with it.
    let base = written.price.as_ref().unwrap().amount;
    let written = product(
        adapter
            .write(&Write::new(WriteOp::UpdateProduct {
                product_id: multi.clone(),
                variant_id: None,
                title: Some("Renamed".into()),
                status: None,
                price: Some(base + price("1.00")),
                compare_at_price: None,
            }))
            .await
            .unwrap(),
    );
    assert_eq!(written.name.as_deref(), Some("Renamed"));
    assert_eq!(variant(&written, &second), Some(price("18.25")));
    // A combination of another product is not this product's.
    let other = sim
        .store()
        .products
        .iter()
        .find(|p| p.id.to_string() != multi)
        .unwrap()
        .id
        .to_string();
    let err = adapter
        .write(&Write::new(WriteOp::UpdateProduct {
            product_id: other,
            variant_id: Some(second),
            title: None,
            status: None,
            price: Some(price("1")),
            compare_at_price: None,
        }))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}
