//! The kit's conformance suite against the Etsy simulator: one test per check,
//! chosen by the connector's capabilities (`polycart_kit::conformance`). After a 401
//! the adapter refreshes its OAuth token once and retries once
//! (`renews_login_after_401`); the token endpoint is not behind the fault layer.
//! A second configuration runs a larger store (more listing states, variations and
//! sections across pages).

polycart_kit::conformance_tests!(
    polycart_kit::conformance::Suite::new(polycart_etsy::connector()).renews_login_after_401()
);

mod larger_store {
    use polycart_kit::conformance::Suite;
    use polycart_kit::sim::StoreSize;

    polycart_kit::conformance_tests!(
        Suite::new(polycart_etsy::connector())
            .renews_login_after_401()
            .seed(11)
            .size(StoreSize {
                products: 30,
                customers: 5,
                orders: 45,
            })
            .page_size(7)
    );
}
