//! The kit's conformance suite against the PrestaShop simulator: every check the
//! capabilities imply, one test each (`polycart_kit::conformance`).

polycart_kit::conformance_tests!(polycart_prestashop::connector());
