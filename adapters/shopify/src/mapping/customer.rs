//! Customers, from a REST customer or a GraphQL `Customer` node.

use super::*;

/// Maps a REST customer with its addresses.
pub fn rest_customer(raw: &RawValue) -> Result<Customer> {
    let c: rest::Customer = decode_json_borrowed(raw.get())?;
    let cur = opt_currency("$.currency", c.currency.as_deref())?;
    let accepts = c
        .email_marketing_consent
        .as_ref()
        .and_then(|m| m.state.as_deref())
        .map(|s| s == "subscribed")
        .or(c.accepts_marketing);
    let default_from_list = c.addresses.iter().position(|a| a.default == Some(true));
    let mut addresses = Vec::new();
    let mut default_address = None;
    for (i, a) in c.addresses.into_iter().enumerate() {
        if let Some(a) = rest_address(Some(a), None) {
            if Some(i) == default_from_list {
                default_address = Some(a.clone());
            }
            addresses.push(a);
        }
    }
    if let Some(a) = rest_address(c.default_address, None) {
        default_address = Some(a);
    }
    Ok(Customer {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&c.id),
        email: text(c.email),
        first_name: text(c.first_name),
        last_name: text(c.last_name),
        phone: text(c.phone),
        accepts_marketing: accepts,
        addresses,
        default_address,
        orders_count: c.orders_count,
        total_spent: match (c.total_spent, cur) {
            (Some(a), Some(cur)) => Some(Money::new(a.0, cur)),
            _ => None,
        },
        created_at: date("$.created_at", c.created_at.as_ref())?,
        updated_at: date("$.updated_at", c.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Maps a GraphQL `Customer` node.
pub fn gql_customer(raw: &RawValue) -> Result<Customer> {
    let c: gql::Customer = decode_json_borrowed(raw.get())?;
    let addresses: Vec<Address> = c
        .addresses
        .0
        .into_iter()
        .filter_map(|a| gql_address(Some(a)))
        .collect();
    let orders_count = match c.number_of_orders {
        Some(n) => Some(
            n.0.parse::<u64>()
                .map_err(|_| Error::decode("$.numberOfOrders", n.0.clone()))?,
        ),
        None => None,
    };
    let total_spent = match c.amount_spent {
        Some(m) => Some(Money::new(
            m.amount.0,
            currency("$.amountSpent.currencyCode", &m.currency_code)?,
        )),
        None => None,
    };
    Ok(Customer {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&c.id),
        email: text(c.email),
        first_name: text(c.first_name),
        last_name: text(c.last_name),
        phone: text(c.phone),
        accepts_marketing: c
            .email_marketing_consent
            .and_then(|m| m.marketing_state)
            .map(|s| s.eq_ignore_ascii_case("subscribed")),
        addresses,
        default_address: gql_address(c.default_address),
        orders_count,
        total_spent,
        created_at: date("$.createdAt", c.created_at.as_ref())?,
        updated_at: date("$.updatedAt", c.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}
