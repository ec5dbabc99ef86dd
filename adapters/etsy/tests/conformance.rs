//! The kit's conformance suite against the Etsy simulator: one test per check,
//! chosen by the connector's capabilities (`polycart_kit::conformance`). After a 401
//! the adapter refreshes its OAuth token once and retries once
//! (`renews_login_after_401`); the token endpoint is not behind the fault layer.

polycart_kit::conformance_tests!(
    polycart_kit::conformance::Suite::new(polycart_etsy::connector()).renews_login_after_401()
);
