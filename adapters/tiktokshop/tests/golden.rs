//! Golden tests through the kit (`polycart_kit::golden`): every real TikTok Shop
//! payload under `fixtures/tiktokshop/<entity>/` mapped and compared with its
//! `.unified.json` (first run and after a mapping change: `UPDATE_GOLDEN=1`, then
//! review the diff), and the simulator's payloads checked against the same real ones
//! (`fixtures/tiktokshop/shapes.json` names the fields it leaves out).

polycart_kit::golden_tests!(polycart_tiktokshop::connector(), "../../fixtures/tiktokshop", at_least 4);
