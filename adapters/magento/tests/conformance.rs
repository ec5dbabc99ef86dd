//! The kit's conformance suite against the Magento simulator, once per way a store
//! connects: an admin login (admin token), the integration's access token as a bearer
//! token, the integration's four OAuth 1.0a credentials (on a store refusing bearer
//! tokens, Magento 2.4.4+'s default), and stock from legacy stock items (a store with
//! MSI disabled). Magento-only behaviour (one admin login per pass, the last page
//! repeated past the end, ...) is in `tests/sim.rs`.

mod admin_token {
    use polycart_kit::conformance::Suite;
    use polycart_magento::sim::{ADMIN_PASSWORD, ADMIN_USERNAME};
    polycart_kit::conformance_tests!(
        Suite::new(polycart_magento::connector())
            .setting("auth", "admin")
            .setting("rate_per_second", "1000")
            .setting("burst", "200")
            .credential("username", ADMIN_USERNAME)
            .credential("password", ADMIN_PASSWORD)
            .renews_login_after_401()
    );
}

mod bearer {
    use polycart_kit::conformance::Suite;
    use polycart_magento::sim::ACCESS_TOKEN;
    polycart_kit::conformance_tests!(
        Suite::new(polycart_magento::connector())
            .setting("auth", "bearer")
            .setting("rate_per_second", "1000")
            .setting("burst", "200")
            .credential("access_token", ACCESS_TOKEN)
    );
}

mod oauth1 {
    use polycart_kit::conformance::Suite;
    use polycart_magento::sim::{ACCESS_TOKEN, ACCESS_TOKEN_SECRET, CONSUMER_KEY, CONSUMER_SECRET};
    polycart_kit::conformance_tests!(
        Suite::new(polycart_magento::connector())
            .plan("no-bearer")
            .setting("auth", "oauth1")
            .setting("rate_per_second", "1000")
            .setting("burst", "200")
            .credential("consumer_key", CONSUMER_KEY)
            .credential("consumer_secret", CONSUMER_SECRET)
            .credential("access_token", ACCESS_TOKEN)
            .credential("access_token_secret", ACCESS_TOKEN_SECRET)
    );
}

mod legacy_stock {
    use polycart_kit::conformance::Suite;
    use polycart_magento::sim::ACCESS_TOKEN;
    polycart_kit::conformance_tests!(
        Suite::new(polycart_magento::connector())
            .plan("no-msi")
            .setting("auth", "bearer")
            .setting("inventory", "legacy")
            .setting("rate_per_second", "1000")
            .setting("burst", "200")
            .credential("access_token", ACCESS_TOKEN)
    );
}
