//! The kit's conformance suite against the Shopee simulator: one test per check,
//! chosen by the connector's capabilities (`polycart_kit::conformance`). On a refused
//! token the store refreshes its single-use refresh token once (a login after a 401).

use polycart_kit::conformance::Suite;

polycart_kit::conformance_tests!(
    Suite::new(polycart_shopee::connector())
        .setting("requests_per_second", "1000")
        .seed(6)
        .renews_login_after_401()
);
