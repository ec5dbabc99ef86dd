//! Golden tests through the kit (`polycart_kit::golden`): every Wix payload under
//! `fixtures/wix/<entity>/` mapped and compared with its `.unified.json` (refresh with
//! `UPDATE_GOLDEN=1`, review the diff), and the simulator's payloads checked against
//! the same fixtures (`fixtures/wix/shapes.json` names the exceptions).

polycart_kit::golden_tests!(polycart_wix::connector(), "../../fixtures/wix");
