//! The kit's conformance suite against the simulator, through both Admin APIs (REST
//! and GraphQL): every check the capabilities imply, one test each.

mod rest {
    use polycart_kit::conformance::Suite;
    polycart_kit::conformance_tests!(
        Suite::new(polycart_shopify::connector())
            .setting("api", "rest")
            .plan("plus")
    );
}

mod graphql {
    use polycart_kit::conformance::Suite;
    polycart_kit::conformance_tests!(
        Suite::new(polycart_shopify::connector())
            .setting("api", "graphql")
            .plan("plus")
    );
}
