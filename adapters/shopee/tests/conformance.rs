//! The kit's conformance suite against the Shopee simulator: one test per check,
//! chosen by the connector's capabilities (`polycart_kit::conformance`). The store
//! verifies pushes for the simulator's callback URL and, on a refused token,
//! refreshes its single-use refresh token once (a login after a 401).

use polycart_kit::conformance::Suite;

polycart_kit::conformance_tests!(
    Suite::new(polycart_shopee::connector())
        .setting("push_callback_url", polycart_shopee::sim::PUSH_URL)
        .setting("requests_per_second", "1000")
        .seed(6)
        .renews_login_after_401()
);
