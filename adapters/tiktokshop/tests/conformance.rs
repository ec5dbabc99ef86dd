//! The kit's conformance suite against the TikTok Shop simulator: one test per check,
//! chosen by the connector's capabilities (`polycart_kit::conformance`). A 401 makes
//! the store refresh its token pair once and retry (the refresh call counts as a
//! login), hence `renews_login_after_401`.

polycart_kit::conformance_tests!(
    polycart_kit::conformance::Suite::new(polycart_tiktokshop::connector())
        .renews_login_after_401()
);
