//! Orders, from a REST order or a GraphQL `Order` node: money, lines, shipping, discounts,
//! refunds, fulfillments and the derived status.

use super::*;

/// Maps a REST order (`/orders/{id}.json`'s `order`).
pub fn rest_order(raw: &RawValue) -> Result<Order> {
    let o: rest::Order = decode_json_borrowed(raw.get())?;
    let cur = match o
        .total_price_set
        .as_ref()
        .and_then(|s| s.shop_money.as_ref())
    {
        Some(m) => Some(currency(
            "$.total_price_set.shop_money.currency_code",
            &m.currency_code,
        )?),
        None => opt_currency("$.currency", o.currency.as_deref())?,
    };
    let c = cur.as_ref();

    let mut line_items = Vec::with_capacity(o.line_items.len());
    for (i, l) in o.line_items.iter().enumerate() {
        let p = format!("$.line_items[{i}]");
        let unit = rest_set(
            &format!("{p}.price_set"),
            l.price_set.as_ref(),
            l.price.as_ref(),
            c,
        )?;
        let mut taxes = Vec::new();
        for t in &l.tax_lines {
            taxes.extend(rest_set(
                &format!("{p}.tax_lines"),
                t.price_set.as_ref(),
                t.price.as_ref(),
                c,
            )?);
        }
        let mut discounts = Vec::new();
        for d in &l.discount_allocations {
            discounts.extend(rest_set(
                &format!("{p}.discount_allocations"),
                d.amount_set.as_ref(),
                d.amount.as_ref(),
                c,
            )?);
        }
        let discount = match sum(discounts) {
            Some(d) => Some(d),
            None => rest_set(
                &format!("{p}.total_discount_set"),
                l.total_discount_set.as_ref(),
                l.total_discount.as_ref(),
                c,
            )?,
        };
        line_items.push(LineItem {
            platform_id: lid(&l.id),
            product_id: opt_lid(l.product_id.as_ref()),
            variant_id: opt_lid(l.variant_id.as_ref()),
            sku: text(l.sku.clone()),
            name: text(l.name.clone()).or_else(|| text(l.title.clone())),
            quantity: l.quantity.0,
            total: unit
                .as_ref()
                .map(|u| Money::new(u.amount * l.quantity.0, u.currency.clone())),
            unit_price: unit,
            tax: if l.tax_lines.is_empty() {
                None
            } else {
                sum(taxes)
            },
            discount,
        });
    }

    let mut shipping_lines = Vec::with_capacity(o.shipping_lines.len());
    for (i, s) in o.shipping_lines.iter().enumerate() {
        shipping_lines.push(ShippingLine {
            method: text(s.title.clone()).or_else(|| text(s.code.clone())),
            carrier: carrier(s.carrier_identifier.clone(), s.source.clone()),
            price: rest_set(
                &format!("$.shipping_lines[{i}].price_set"),
                s.price_set.as_ref(),
                s.price.as_ref(),
                c,
            )?,
        });
    }

    let mut discounts = Vec::new();
    for d in &o.discount_codes {
        discounts.push(Discount {
            code: text(d.code.clone()),
            amount: match (&d.amount, c) {
                (Some(a), Some(c)) => Some(Money::new(a.0, c.clone())),
                _ => None,
            },
        });
    }
    // Automatic, manual and script discounts have no code: their amount is what
    // they allocated to lines and shipping.
    for (index, app) in o.discount_applications.iter().enumerate() {
        if app.kind.as_deref() == Some("discount_code") || app.code.is_some() {
            continue;
        }
        let allocations = o
            .line_items
            .iter()
            .flat_map(|l| &l.discount_allocations)
            .chain(
                o.shipping_lines
                    .iter()
                    .flat_map(|s| &s.discount_allocations),
            )
            .filter(|d| d.discount_application_index == Some(index));
        let mut amounts = Vec::new();
        for d in allocations {
            amounts.extend(rest_set(
                "$.discount_allocations",
                d.amount_set.as_ref(),
                d.amount.as_ref(),
                c,
            )?);
        }
        discounts.push(Discount {
            code: None,
            amount: sum(amounts),
        });
    }

    let mut refunds = Vec::with_capacity(o.refunds.len());
    for (i, r) in o.refunds.iter().enumerate() {
        let p = format!("$.refunds[{i}]");
        let mut lines = Vec::new();
        for (j, l) in r.refund_line_items.iter().enumerate() {
            lines.push(RefundLineItem {
                line_item_id: opt_lid(l.line_item_id.as_ref()),
                quantity: l.quantity.0,
                amount: rest_set(
                    &format!("{p}.refund_line_items[{j}].subtotal_set"),
                    l.subtotal_set.as_ref(),
                    l.subtotal.as_ref(),
                    c,
                )?,
            });
        }
        let mut paid_back = Vec::new();
        for (j, t) in r.transactions.iter().enumerate() {
            let ok = t.kind.as_deref() == Some("refund")
                && t.status.as_deref().is_none_or(|s| s == "success");
            if let (true, Some(a)) = (ok, &t.amount) {
                let tc = match opt_currency(
                    &format!("{p}.transactions[{j}].currency"),
                    t.currency.as_deref(),
                )? {
                    Some(tc) => tc,
                    None => match c {
                        Some(c) => c.clone(),
                        None => continue,
                    },
                };
                paid_back.push(Money::new(a.0, tc));
            }
        }
        refunds.push(Refund {
            platform_id: lid(&r.id),
            amount: sum(paid_back),
            reason: text(r.note.clone()),
            created_at: date(&format!("{p}.created_at"), r.created_at.as_ref())?,
            line_items: lines,
        });
    }

    let mut shipments = Vec::with_capacity(o.fulfillments.len());
    for (i, f) in o.fulfillments.iter().enumerate() {
        shipments.push(Shipment {
            platform_id: lid(&f.id),
            carrier: text(f.tracking_company.clone()),
            tracking_number: text(f.tracking_number.clone()),
            tracking_url: text(f.tracking_url.clone()),
            status: text(f.status.clone()),
            line_items: f
                .line_items
                .iter()
                .map(|l| ShipmentLineItem {
                    line_item_id: Some(lid(&l.id)),
                    quantity: l.quantity.0,
                })
                .collect(),
            created_at: date(
                &format!("$.fulfillments[{i}].created_at"),
                f.created_at.as_ref(),
            )?,
        });
    }

    let total = rest_set(
        "$.total_price_set",
        o.total_price_set.as_ref(),
        o.total_price.as_ref(),
        c,
    )?;
    let paid = match (&total, &o.total_outstanding) {
        (Some(t), Some(out)) => Some(Money::new(t.amount - out.0, t.currency.clone())),
        _ => None,
    };
    let refunded = |cur: Option<&Currency>| refunded_in(&refunds, cur);
    let totals = OrderTotals {
        subtotal: rest_set(
            "$.subtotal_price_set",
            o.subtotal_price_set.as_ref(),
            o.subtotal_price.as_ref(),
            c,
        )?,
        shipping: rest_set(
            "$.total_shipping_price_set",
            o.total_shipping_price_set.as_ref(),
            None,
            c,
        )?,
        tax: rest_set(
            "$.total_tax_set",
            o.total_tax_set.as_ref(),
            o.total_tax.as_ref(),
            c,
        )?,
        discount: rest_set(
            "$.total_discounts_set",
            o.total_discounts_set.as_ref(),
            o.total_discounts.as_ref(),
            c,
        )?,
        total,
        paid,
        refunded: refunded(c),
    };
    // The buyer's currency: the order's `presentment_currency`, else that of its
    // total's presentment money; its totals are the sets' presentment money.
    let declared = match opt_currency("$.presentment_currency", o.presentment_currency.as_deref())?
    {
        Some(p) => Some(p),
        None => match o
            .total_price_set
            .as_ref()
            .and_then(|s| s.presentment_money.as_ref())
        {
            Some(m) => Some(currency(
                "$.total_price_set.presentment_money.currency_code",
                &m.currency_code,
            )?),
            None => None,
        },
    };
    let (presentment_currency, presentment_totals) = presentment(c, declared, |p| {
        let presented = |path: &str, set: Option<&rest::MoneySet>| {
            set.and_then(|s| s.presentment_money.as_ref())
                .map(|m| Ok(Money::new(m.amount.0, currency(path, &m.currency_code)?)))
                .transpose()
        };
        Ok::<_, Error>(OrderTotals {
            subtotal: presented(
                "$.subtotal_price_set.presentment_money",
                o.subtotal_price_set.as_ref(),
            )?,
            shipping: presented(
                "$.total_shipping_price_set.presentment_money",
                o.total_shipping_price_set.as_ref(),
            )?,
            tax: presented(
                "$.total_tax_set.presentment_money",
                o.total_tax_set.as_ref(),
            )?,
            discount: presented(
                "$.total_discounts_set.presentment_money",
                o.total_discounts_set.as_ref(),
            )?,
            total: presented(
                "$.total_price_set.presentment_money",
                o.total_price_set.as_ref(),
            )?,
            // `total_outstanding` is shop money only.
            paid: None,
            refunded: refunded(Some(p)),
        })
    })?;

    let financial_raw = o.financial_status.clone().flatten();
    let financial = financial_raw.as_deref().and_then(financial_status);
    let (fulfillment_raw, fulfillment) = match &o.fulfillment_status {
        None => (None, None),
        Some(s) => (s.clone(), fulfillment_status(s.as_deref())),
    };
    let cancelled_at = date("$.cancelled_at", o.cancelled_at.as_ref())?;
    let closed_at = date("$.closed_at", o.closed_at.as_ref())?;
    let has_state =
        o.financial_status.is_some() || o.cancelled_at.is_some() || o.closed_at.is_some();
    let platform_status =
        has_state.then(|| platform_order_status(cancelled_at.is_some(), closed_at.is_some()));

    let order_email = text(o.email.clone()).or_else(|| text(o.contact_email.clone()));
    let customer = match o.customer {
        Some(cu) => Some(OrderCustomer {
            platform_id: opt_lid(cu.id.as_ref()),
            email: text(cu.email).or_else(|| order_email.clone()),
            first_name: text(cu.first_name),
            last_name: text(cu.last_name),
            phone: text(cu.phone).or_else(|| text(o.phone.clone())),
        }),
        None if order_email.is_some() => Some(OrderCustomer {
            platform_id: None,
            email: order_email.clone(),
            first_name: None,
            last_name: None,
            phone: text(o.phone.clone()),
        }),
        None => None,
    };

    Ok(Order {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&o.id),
        number: text(o.name).or_else(|| o.order_number.map(|n| n.0)),
        status: platform_status.map(|s| order_status(s, financial, fulfillment)),
        platform_status: platform_status.map(str::to_owned),
        financial_status: financial,
        platform_financial_status: financial_raw,
        fulfillment_status: fulfillment,
        platform_fulfillment_status: fulfillment_raw,
        currency: cur,
        totals,
        presentment_currency,
        presentment_totals,
        customer,
        billing_address: rest_address(o.billing_address, None),
        shipping_address: rest_address(o.shipping_address, None),
        line_items,
        shipping_lines,
        discounts,
        refunds,
        shipments,
        note: text(o.note),
        tags: split_tags(o.tags.as_deref()),
        source: text(o.source_name),
        created_at: date("$.created_at", o.created_at.as_ref())?,
        updated_at: date("$.updated_at", o.updated_at.as_ref())?,
        completed_at: closed_at,
        cancelled_at,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Maps a GraphQL `Order` node.
pub fn gql_order(raw: &RawValue) -> Result<Order> {
    let o: gql::Order = decode_json_borrowed(raw.get())?;
    let cur = match o
        .total_price_set
        .as_ref()
        .and_then(|s| s.shop_money.as_ref())
    {
        Some(m) => Some(currency(
            "$.totalPriceSet.shopMoney.currencyCode",
            &m.currency_code,
        )?),
        None => opt_currency("$.currencyCode", o.currency_code.as_deref())?,
    };

    let mut line_items = Vec::with_capacity(o.line_items.0.len());
    for (i, l) in o.line_items.0.iter().enumerate() {
        let p = format!("$.lineItems[{i}]");
        let unit = bag(
            &format!("{p}.originalUnitPriceSet"),
            l.original_unit_price_set.as_ref(),
        )?;
        let mut taxes = Vec::new();
        for t in &l.tax_lines {
            taxes.extend(bag(&format!("{p}.taxLines"), t.price_set.as_ref())?);
        }
        let discount = match &l.discount_allocations {
            Some(allocations) => {
                let mut allocated = Vec::new();
                for a in allocations {
                    allocated.extend(bag(
                        &format!("{p}.discountAllocations"),
                        a.allocated_amount_set.as_ref(),
                    )?);
                }
                // Read and empty: no discount, in the line's currency and precision.
                sum(allocated).or_else(|| {
                    unit.as_ref().map(|u| {
                        let zero = rust_decimal::Decimal::new(0, u.amount.scale());
                        Money::new(zero, u.currency.clone())
                    })
                })
            }
            None => bag(
                &format!("{p}.totalDiscountSet"),
                l.total_discount_set.as_ref(),
            )?,
        };
        line_items.push(LineItem {
            platform_id: lid(&l.id),
            product_id: l.product.as_ref().map(|r| lid(&r.id)),
            variant_id: l.variant.as_ref().map(|r| lid(&r.id)),
            sku: text(l.sku.clone()),
            name: text(l.name.clone()).or_else(|| text(l.title.clone())),
            quantity: l.quantity.0,
            total: unit
                .as_ref()
                .map(|u| Money::new(u.amount * l.quantity.0, u.currency.clone())),
            unit_price: unit,
            tax: if l.tax_lines.is_empty() {
                None
            } else {
                sum(taxes)
            },
            discount,
        });
    }

    let mut shipping_lines = Vec::new();
    for (i, s) in o.shipping_lines.0.iter().enumerate() {
        shipping_lines.push(ShippingLine {
            method: text(s.title.clone()).or_else(|| text(s.code.clone())),
            carrier: carrier(s.carrier_identifier.clone(), s.source.clone()),
            price: bag(
                &format!("$.shippingLines[{i}].originalPriceSet"),
                s.original_price_set.as_ref(),
            )?,
        });
    }

    // A discount's amount is what it allocated to lines and shipping, by application
    // index; codes no application names (an order read without its applications)
    // keep a null amount.
    let allocations: Vec<&gql::DiscountAllocation> = o
        .line_items
        .0
        .iter()
        .flat_map(|l| l.discount_allocations.iter().flatten())
        .chain(
            o.shipping_lines
                .0
                .iter()
                .flat_map(|s| &s.discount_allocations),
        )
        .collect();
    let mut discounts: Vec<Discount> = Vec::new();
    for app in &o.discount_applications.0 {
        let mut amounts = Vec::new();
        for a in allocations.iter().filter(|a| {
            app.index.is_some()
                && a.discount_application.as_ref().and_then(|d| d.index) == app.index
        }) {
            amounts.extend(bag(
                // Under a line item or a shipping line.
                "$..discountAllocations",
                a.allocated_amount_set.as_ref(),
            )?);
        }
        let is_code =
            app.typename.as_deref() == Some("DiscountCodeApplication") || app.code.is_some();
        discounts.push(Discount {
            code: if is_code {
                text(app.code.clone())
            } else {
                None
            },
            amount: sum(amounts),
        });
    }
    for code in &o.discount_codes {
        if !discounts
            .iter()
            .any(|d| d.code.as_deref() == Some(code.as_str()))
        {
            discounts.push(Discount {
                code: Some(code.clone()),
                amount: None,
            });
        }
    }

    let mut refunds = Vec::new();
    for (i, r) in o.refunds.0.iter().enumerate() {
        let p = format!("$.refunds[{i}]");
        let mut lines = Vec::new();
        for (j, l) in r.refund_line_items.0.iter().enumerate() {
            lines.push(RefundLineItem {
                line_item_id: l.line_item.as_ref().map(|r| lid(&r.id)),
                quantity: l.quantity.0,
                amount: bag(
                    &format!("{p}.refundLineItems[{j}].subtotalSet"),
                    l.subtotal_set.as_ref(),
                )?,
            });
        }
        refunds.push(Refund {
            platform_id: lid(&r.id),
            amount: bag(
                &format!("{p}.totalRefundedSet"),
                r.total_refunded_set.as_ref(),
            )?,
            reason: text(r.note.clone()),
            created_at: date(&format!("{p}.createdAt"), r.created_at.as_ref())?,
            line_items: lines,
        });
    }

    let mut shipments = Vec::new();
    for (i, f) in o.fulfillments.0.iter().enumerate() {
        let tracking = f.tracking_info.first();
        shipments.push(Shipment {
            platform_id: lid(&f.id),
            carrier: tracking.and_then(|t| text(t.company.clone())),
            tracking_number: tracking.and_then(|t| text(t.number.clone())),
            tracking_url: tracking.and_then(|t| text(t.url.clone())),
            status: f.status.as_ref().map(|s| s.to_ascii_lowercase()),
            line_items: f
                .fulfillment_line_items
                .0
                .iter()
                .map(|l| ShipmentLineItem {
                    line_item_id: l.line_item.as_ref().map(|r| lid(&r.id)),
                    quantity: l.quantity.0,
                })
                .collect(),
            created_at: date(
                &format!("$.fulfillments[{i}].createdAt"),
                f.created_at.as_ref(),
            )?,
        });
    }

    let totals = OrderTotals {
        subtotal: bag("$.subtotalPriceSet", o.subtotal_price_set.as_ref())?,
        shipping: bag(
            "$.totalShippingPriceSet",
            o.total_shipping_price_set.as_ref(),
        )?,
        tax: bag("$.totalTaxSet", o.total_tax_set.as_ref())?,
        discount: bag("$.totalDiscountsSet", o.total_discounts_set.as_ref())?,
        total: bag("$.totalPriceSet", o.total_price_set.as_ref())?,
        paid: bag("$.totalReceivedSet", o.total_received_set.as_ref())?,
        refunded: bag("$.totalRefundedSet", o.total_refunded_set.as_ref())?,
    };
    // The buyer's currency: `presentmentCurrencyCode`, else that of the total's
    // presentment money; its totals are the `*Set` fields' `presentmentMoney`.
    let declared = match opt_currency(
        "$.presentmentCurrencyCode",
        o.presentment_currency_code.as_deref(),
    )? {
        Some(p) => Some(p),
        None => match o
            .total_price_set
            .as_ref()
            .and_then(|s| s.presentment_money.as_ref())
        {
            Some(m) => Some(currency(
                "$.totalPriceSet.presentmentMoney.currencyCode",
                &m.currency_code,
            )?),
            None => None,
        },
    };
    let (presentment_currency, presentment_totals) = presentment(cur.as_ref(), declared, |_| {
        let presented = |path: &str, b: Option<&gql::MoneyBag>| {
            b.and_then(|b| b.presentment_money.as_ref())
                .map(|m| Ok(Money::new(m.amount.0, currency(path, &m.currency_code)?)))
                .transpose()
        };
        Ok::<_, Error>(OrderTotals {
            subtotal: presented(
                "$.subtotalPriceSet.presentmentMoney",
                o.subtotal_price_set.as_ref(),
            )?,
            shipping: presented(
                "$.totalShippingPriceSet.presentmentMoney",
                o.total_shipping_price_set.as_ref(),
            )?,
            tax: presented("$.totalTaxSet.presentmentMoney", o.total_tax_set.as_ref())?,
            discount: presented(
                "$.totalDiscountsSet.presentmentMoney",
                o.total_discounts_set.as_ref(),
            )?,
            total: presented(
                "$.totalPriceSet.presentmentMoney",
                o.total_price_set.as_ref(),
            )?,
            paid: presented(
                "$.totalReceivedSet.presentmentMoney",
                o.total_received_set.as_ref(),
            )?,
            refunded: presented(
                "$.totalRefundedSet.presentmentMoney",
                o.total_refunded_set.as_ref(),
            )?,
        })
    })?;
    let financial_raw = o.display_financial_status.clone();
    let financial = financial_raw.as_deref().and_then(financial_status);
    let fulfillment_raw = o.display_fulfillment_status.clone();
    let fulfillment = fulfillment_raw
        .as_deref()
        .and_then(|s| fulfillment_status(Some(s)));
    let cancelled_at = date("$.cancelledAt", o.cancelled_at.as_ref())?;
    let closed_at = date("$.closedAt", o.closed_at.as_ref())?;
    let closed = o.closed.unwrap_or(closed_at.is_some());
    let has_state = financial_raw.is_some()
        || o.closed.is_some()
        || cancelled_at.is_some()
        || closed_at.is_some();
    let platform_status = has_state.then(|| platform_order_status(cancelled_at.is_some(), closed));
    let order_email = text(o.email.clone());
    let customer = match o.customer {
        Some(cu) => Some(OrderCustomer {
            platform_id: opt_lid(cu.id.as_ref()),
            email: text(cu.email).or_else(|| order_email.clone()),
            first_name: text(cu.first_name),
            last_name: text(cu.last_name),
            phone: text(cu.phone).or_else(|| text(o.phone.clone())),
        }),
        None if order_email.is_some() => Some(OrderCustomer {
            platform_id: None,
            email: order_email,
            first_name: None,
            last_name: None,
            phone: text(o.phone.clone()),
        }),
        None => None,
    };
    Ok(Order {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&o.id),
        number: text(o.name),
        status: platform_status.map(|s| order_status(s, financial, fulfillment)),
        platform_status: platform_status.map(str::to_owned),
        financial_status: financial,
        platform_financial_status: financial_raw,
        fulfillment_status: fulfillment,
        platform_fulfillment_status: fulfillment_raw,
        currency: cur,
        totals,
        presentment_currency,
        presentment_totals,
        customer,
        billing_address: gql_address(o.billing_address),
        shipping_address: gql_address(o.shipping_address),
        line_items,
        shipping_lines,
        discounts,
        refunds,
        shipments,
        note: text(o.note),
        tags: o
            .tags
            .into_iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        source: text(o.source_name),
        created_at: date("$.createdAt", o.created_at.as_ref())?,
        updated_at: date("$.updatedAt", o.updated_at.as_ref())?,
        completed_at: closed_at,
        cancelled_at,
        raw: Some(Raw::from_raw(raw)),
    })
}
