//! The `Customer` type and its rendering from the generated store.

use super::*;

#[derive(SimpleObject, Clone)]
pub(crate) struct CustomerEmailMarketingConsentState {
    pub(crate) marketing_state: String,
    pub(crate) marketing_opt_in_level: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct Customer {
    pub(crate) id: ID,
    pub(crate) legacy_resource_id: String,
    pub(crate) email: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) display_name: String,
    pub(crate) phone: Option<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) number_of_orders: String,
    pub(crate) amount_spent: MoneyV2,
    pub(crate) email_marketing_consent: Option<CustomerEmailMarketingConsentState>,
    pub(crate) default_address: Option<MailingAddress>,
    pub(crate) addresses: Vec<MailingAddress>,
    pub(crate) tags: Vec<String>,
}

pub(crate) fn customer(c: &SimCustomer, currency: &str) -> Customer {
    Customer {
        id: ID(gid("Customer", c.id)),
        legacy_resource_id: c.id.to_string(),
        email: Some(c.email.clone()),
        first_name: Some(c.first_name.clone()),
        last_name: Some(c.last_name.clone()),
        display_name: format!("{} {}", c.first_name, c.last_name),
        phone: c.phone.clone(),
        created_at: time(c.created_at),
        updated_at: time(c.updated_at),
        number_of_orders: c.orders_count.to_string(),
        amount_spent: MoneyV2 {
            amount: amount(c.total_spent),
            currency_code: currency.to_owned(),
        },
        email_marketing_consent: Some(CustomerEmailMarketingConsentState {
            marketing_state: if c.accepts_marketing {
                "SUBSCRIBED"
            } else {
                "NOT_SUBSCRIBED"
            }
            .to_owned(),
            marketing_opt_in_level: Some("SINGLE_OPT_IN".to_owned()),
        }),
        default_address: c.addresses.first().map(address),
        addresses: c.addresses.iter().map(address).collect(),
        tags: Vec::new(),
    }
}
