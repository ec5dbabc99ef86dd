//! Golden tests through the kit (`polycart_kit::golden`): every real Amazon payload
//! under `fixtures/amazon/<entity>/` mapped and compared with its `.unified.json`
//! (first run and after a mapping change: `UPDATE_GOLDEN=1`, then review the diff), and
//! the simulator's payloads checked against the same real ones
//! (`fixtures/amazon/shapes.json` names exceptions, `context.json` the store).

polycart_kit::golden_tests!(polycart_amazon::connector(), "../../fixtures/amazon");
