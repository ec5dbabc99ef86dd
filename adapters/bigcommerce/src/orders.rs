//! v2 orders read as whole records. Lists and single orders are asked for with
//! `include=consignments.line_items&consignment_structure=object`, so line items and
//! shipping addresses come with the order (no request per order for them). The
//! sub-resources v2 cannot include are fetched only when the order says it has some:
//! coupons (`coupon_discount`), shipments (`items_shipped`) and v3 refunds
//! (`refunded_amount`), concurrently and bounded by the store's `concurrency`. An
//! order whose consignments do not hold all its lines (capped at 50 with a
//! `__warning__`, links only, or an older API without consignments) has
//! `/v2/orders/{id}/products` (and `shipping_addresses`) fetched instead. Fetched
//! sub-resources are embedded in the order's `raw` as arrays.
//!
//! Listings read oldest change first with the kit's keyset ([`crate::paging::ORDERS`]);
//! v2 takes RFC 2822 dates.

use futures::{StreamExt, TryStreamExt};
use http::StatusCode;
use polycart_kit::endpoint::Target;
use polycart_kit::paging::DateFormat;
use polycart_kit::{ApiPath, Error, ListQuery, Page, Record, Result};
use serde_json::Value;

use crate::adapter::BigCommerceAdapter;
use crate::client::{MAX_PAGE, path_id};
use crate::consignments::{self, ORDER_INCLUDE};
use crate::mapping;
use crate::paging::{self, ORDERS};

/// Whether an order amount (a "12.5000" string or a number) is above zero.
fn positive(order: &Value, field: &str) -> bool {
    order.get(field).is_some_and(|v| match v {
        Value::Number(n) => n.as_f64().is_some_and(|f| f > 0.0),
        Value::String(s) => s.trim().parse::<f64>().is_ok_and(|f| f > 0.0),
        _ => false,
    })
}

/// The v2 filters of a query other than the keyset position.
pub(crate) fn v2_filters(query: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    if let Some(since) = query.updated_since {
        params.push((
            "min_date_modified",
            DateFormat::Rfc2822.format(since.timestamp()),
        ));
    }
    params.extend(paging::v2_created(query)?);
    Ok(params)
}

impl BigCommerceAdapter {
    /// Fetches what an order's include did not bring and embeds it.
    async fn complete_order(&self, mut order: Value) -> Result<Value> {
        let id = match order.get("id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => path_id(s)?.to_owned(),
            _ => return Err(Error::decode("$.id", "an order without an id")),
        };
        let wanted = [
            (
                "products",
                !consignments::has_every_line(&order),
                ApiPath::new("v2/orders").num(&id)?.lit("products"),
            ),
            (
                "shipping_addresses",
                consignments::shipping_addresses(&order).is_none(),
                ApiPath::new("v2/orders")
                    .num(&id)?
                    .lit("shipping_addresses"),
            ),
            (
                "coupons",
                positive(&order, "coupon_discount"),
                ApiPath::new("v2/orders").num(&id)?.lit("coupons"),
            ),
            (
                "shipments",
                positive(&order, "items_shipped"),
                ApiPath::new("v2/orders").num(&id)?.lit("shipments"),
            ),
        ];
        let v2 = futures::future::try_join_all(wanted.iter().filter(|(_, want, _)| *want).map(
            |(field, _, path)| async move { Ok::<_, Error>((*field, self.v2_all(path).await?)) },
        ));
        let refunds = async {
            if !positive(&order, "refunded_amount") {
                return Ok(None);
            }
            let path = ApiPath::new("v3/orders")
                .num(&id)?
                .lit("payment_actions/refunds");
            let list = self
                .v3_list(&path, &[("limit", MAX_PAGE.to_string())])
                .await?;
            Ok::<_, Error>(Some(list.data))
        };
        let (fetched, refunds) = futures::try_join!(v2, refunds)?;
        if let Some(o) = order.as_object_mut() {
            for (field, items) in fetched {
                o.insert(field.into(), Value::Array(items));
            }
            if let Some(refunds) = refunds {
                o.insert("refunds".into(), Value::Array(refunds));
            }
        }
        Ok(order)
    }

    /// Completes and maps a page of orders.
    async fn map_orders(&self, orders: Vec<Value>) -> Result<Vec<Record>> {
        let ctx = self.map_context().await?.clone();
        let assembled: Vec<Value> =
            futures::stream::iter(orders.into_iter().map(|o| self.complete_order(o)))
                .buffered(self.config().concurrency)
                .try_collect()
                .await?;
        assembled
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let record = mapping::order(&o.to_string(), &ctx)
                    .map_err(|e| polycart_kit::decode::at_index(e, i, true))?;
                Ok(self.finish(record.into()))
            })
            .collect()
    }

    pub(crate) async fn list_orders(&self, query: &ListQuery) -> Result<Page> {
        let (query, extra) = paging::resume(query)?;
        let root = self.root()?;
        let page = ORDERS
            .fetch(Target::new(self.transport(), &root), &query, &extra)
            .await?;
        let orders = page
            .items
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                polycart_kit::error::decode_json::<Value>(raw.get())
                    .map_err(|e| polycart_kit::decode::at_index(e, i, true))
            })
            .collect::<Result<Vec<_>>>()?;
        let records = self.map_orders(orders).await?;
        Ok(Page {
            records,
            next: page.next,
        })
    }

    /// One order with everything it has, as raw JSON.
    pub(crate) async fn order_raw(&self, id: &str) -> Result<Value> {
        let include: Vec<(&str, String)> = ORDER_INCLUDE
            .iter()
            .map(|(k, v)| (*k, (*v).to_owned()))
            .collect();
        let r = self
            .get(&ApiPath::new("v2/orders").num(id)?, &include)
            .await?;
        if r.status == StatusCode::NO_CONTENT {
            return Err(Error::not_found(format!("order {id}")));
        }
        self.complete_order(r.json()?).await
    }

    pub(crate) async fn get_order(&self, id: &str) -> Result<Record> {
        let order = self.order_raw(id).await?;
        let ctx = self.map_context().await?;
        Ok(self.finish(mapping::order(&order.to_string(), ctx)?.into()))
    }
}
