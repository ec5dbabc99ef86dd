//! The kit's conformance suite against the Lazada simulator: one test per check,
//! chosen by the connector's capabilities (`polycart_kit::conformance`).

polycart_kit::conformance_tests!(polycart_lazada::connector());
