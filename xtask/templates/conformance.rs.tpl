//! The kit's conformance suite against the {{Name}} simulator: one test per check,
//! chosen by the connector's capabilities (`polycart_kit::conformance`).

polycart_kit::conformance_tests!(polycart_{{name}}::connector());
