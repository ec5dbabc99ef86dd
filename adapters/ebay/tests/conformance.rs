//! The kit's conformance suite against the eBay simulator: one test per check, chosen
//! by the connector's capabilities (`polycart_kit::conformance`). A 401 makes the
//! adapter renew the user token from the refresh token once, as eBay's tokens expire.

polycart_kit::conformance_tests!(
    polycart_kit::conformance::Suite::new(polycart_ebay::connector()).renews_login_after_401()
);
