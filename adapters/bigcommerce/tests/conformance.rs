//! The kit's conformance suite against the simulator: every check the capabilities
//! imply, one test each. The plan's window is one second, so a 429 (whose
//! `X-Rate-Limit-Time-Reset-Ms` the adapter waits out exactly) costs at most that.

polycart_kit::conformance_tests!(
    polycart_kit::conformance::Suite::new(polycart_bigcommerce::connector()).plan("1000/1000ms")
);
