//! The kit's conformance suite against the Squarespace simulator: every check the
//! capabilities imply, one test each (`polycart_kit::conformance`). Squarespace pages
//! hold up to 50 records and take no page size, so the paging checks use pages of 50
//! over a store of 60 records each; a 429 without `Retry-After` is waited out for a
//! second here instead of Squarespace's minute (`cooldown_seconds`).

use polycart_kit::conformance::Suite;
use polycart_kit::sim::StoreSize;

polycart_kit::conformance_tests!(
    Suite::new(polycart_squarespace::connector())
        .setting("cooldown_seconds", "1")
        .page_size(50)
        .size(StoreSize {
            products: 60,
            customers: 60,
            orders: 60,
        })
);
