//! The kit's conformance suite against the Ecwid simulator: every check the
//! capabilities imply, one test each (`polycart_kit::conformance`). Ecwid signs a
//! webhook's event id and time, not its body, so the tampered-body check is off.

polycart_kit::conformance_tests!(
    polycart_kit::conformance::Suite::new(polycart_ecwid::connector()).body_unsigned()
);
