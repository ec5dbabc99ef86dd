//! Customers (`/V1/customers/{id}`, `/V1/customers/search`) → unified customers with
//! their address book; the default address is the default shipping one (else the
//! default billing one). Magento keeps no phone on the customer: it is the default
//! address's. Newsletter subscription is `extension_attributes.is_subscribed`, when the
//! payload carries it.

use polycart_kit::error::Result;
use polycart_kit::model::{Address, Customer, Raw};
use serde_json::value::RawValue;

use super::{PLATFORM, date, read, text};
use crate::wire::{self, CustomerAddress};

fn address(a: &CustomerAddress) -> Option<Address> {
    let mut street = a.street.iter().map(|s| s.trim()).filter(|s| !s.is_empty());
    let line1 = street.next().map(str::to_owned);
    let rest: Vec<&str> = street.collect();
    Address {
        first_name: text(a.firstname.as_ref()),
        last_name: text(a.lastname.as_ref()),
        company: text(a.company.as_ref()),
        line1,
        line2: (!rest.is_empty()).then(|| rest.join(", ")),
        city: text(a.city.as_ref()),
        region: a.region.as_ref().and_then(|r| text(r.region.as_ref())),
        region_code: a.region.as_ref().and_then(|r| text(r.region_code.as_ref())),
        postal_code: text(a.postcode.as_ref()),
        country_code: text(a.country_id.as_ref()),
        phone: text(a.telephone.as_ref()),
        email: None,
    }
    .non_empty()
}

pub(crate) fn customer(raw: &RawValue) -> Result<Customer> {
    let c: wire::Customer = read(raw)?;
    let is = |a: &CustomerAddress, id: &Option<polycart_kit::decode::Id>| {
        id.as_ref()
            .is_some_and(|d| a.id.as_ref().is_some_and(|i| i == d))
    };
    let default = c
        .addresses
        .iter()
        .find(|a| a.default_shipping.0 || is(a, &c.default_shipping))
        .or_else(|| {
            c.addresses
                .iter()
                .find(|a| a.default_billing.0 || is(a, &c.default_billing))
        });
    let default_address = default.and_then(address);
    Ok(Customer {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: c.id.0.clone(),
        email: text(c.email.as_ref()),
        first_name: text(c.firstname.as_ref()),
        last_name: text(c.lastname.as_ref()),
        phone: default_address.as_ref().and_then(|a| a.phone.clone()),
        accepts_marketing: c
            .extension_attributes
            .as_ref()
            .and_then(|e| e.is_subscribed),
        addresses: c.addresses.iter().filter_map(address).collect(),
        default_address,
        orders_count: None,
        total_spent: None,
        created_at: date("$.created_at", c.created_at.as_ref())?,
        updated_at: date("$.updated_at", c.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}
