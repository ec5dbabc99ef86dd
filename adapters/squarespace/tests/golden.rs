//! Golden tests through the kit (`polycart_kit::golden`): every real Squarespace payload
//! under `fixtures/squarespace/<entity>/` mapped and compared with its `.unified.json`
//! (first run and after a mapping change: `UPDATE_GOLDEN=1`, then review the diff), and
//! the simulator's payloads checked against the same real ones
//! (`fixtures/squarespace/shapes.json` names exceptions, `context.json` the store).

polycart_kit::golden_tests!(
    polycart_squarespace::connector(),
    "../../fixtures/squarespace"
);
