//! The kit's conformance suite against the simulator: every check the capabilities
//! imply, one test each. The simulated host has no proxy in front: the store may use
//! a fast request rate (the default is cautious for shared hosting).

polycart_kit::conformance_tests!(
    polycart_kit::conformance::Suite::new(polycart_woocommerce::connector())
        .setting("rate_per_second", "200")
        .setting("burst", "50")
);
