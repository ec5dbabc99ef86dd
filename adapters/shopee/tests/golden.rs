//! Golden tests through the kit (`polycart_kit::golden`): every real Shopee payload
//! under `fixtures/shopee/<entity>/` mapped and compared with its `.unified.json`
//! (first run and after a mapping change: `UPDATE_GOLDEN=1`, then review the diff), and
//! the simulator's payloads checked against the same real ones
//! (`fixtures/shopee/shapes.json` names exceptions, `context.json` the store).

polycart_kit::golden_tests!(polycart_shopee::connector(), "../../fixtures/shopee");
