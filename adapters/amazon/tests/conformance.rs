//! The kit's conformance suite against the Amazon simulator: every check the
//! capabilities imply, one test each (`polycart_kit::conformance`), for the Orders API
//! 2026-01-01 (the default). The access token is refreshed once after a `401` or an
//! expired-token `403`, so auth failures allow that one refresh and retry. Amazon
//! sends no webhooks: those checks skip.

polycart_kit::conformance_tests!(
    polycart_kit::conformance::Suite::new(polycart_amazon::connector()).renews_login_after_401()
);
