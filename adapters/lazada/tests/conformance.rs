//! The kit's conformance suite against the Lazada simulator: one test per check,
//! chosen by the connector's capabilities (`polycart_kit::conformance`). The store is a
//! Singapore seller (`region=sg`: prices in SGD, as the simulator serves them).

polycart_kit::conformance_tests!(
    polycart_kit::conformance::Suite::new(polycart_lazada::connector())
        .setting("region", "sg")
        // A 401 refreshes the token pair once (the kit's rotating tokens) and retries.
        .renews_login_after_401()
);
