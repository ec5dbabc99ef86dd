//! The kit's conformance suite against the Amazon simulator: every check the
//! capabilities imply, one test each (`polycart_kit::conformance`), for the Orders API
//! 2026-01-01 (the default). The access token is refreshed once after a `401` or an
//! expired-token `403`, so auth failures allow that one refresh and retry. Amazon
//! sends no webhooks: those checks skip.

polycart_kit::conformance_tests!(
    polycart_kit::conformance::Suite::new(polycart_amazon::connector()).renews_login_after_401()
);

/// The same checks for a seller still on the Orders API v0 (`orders_api=v0`), but
/// the write checks: a v0 order carries no packages, so a confirmed shipment shows
/// in its status only, not as a shipment with its tracking number.
mod v0 {
    use polycart_kit::conformance::Suite;

    fn suite() -> Suite {
        Suite::new(polycart_amazon::connector())
            .setting("orders_api", "v0")
            .renews_login_after_401()
    }

    macro_rules! checks {
        ($($check:ident),* $(,)?) => {
            $(
                #[test]
                fn $check() {
                    suite().run_blocking(stringify!($check));
                }
            )*
        };
    }

    checks!(
        full_sync_equals_truth,
        resumes_from_a_stored_cursor,
        get_matches_list,
        incremental_reads_changes,
        change_mid_pass_skips_nothing,
        paging_edge_empty,
        paging_edge_one_page,
        paging_edge_one_page_plus_one,
        deletions_disappear,
        throttled_with_retry_after,
        throttled_without_retry_after,
        server_errors_retried,
        html_on_success_retried,
        truncated_body_retried,
        auth_failure_typed_not_retried,
        wrong_credentials_refused,
    );
}

/// Inventory levels from FBA Inventory summaries (`inventory=fba`): the checks that
/// hold for a listing Amazon pages 50 at a time without a page-size parameter (so the
/// resume and page-edge checks, which ask for pages of 3, do not apply).
mod fba {
    use polycart_kit::conformance::Suite;

    fn suite() -> Suite {
        Suite::new(polycart_amazon::connector())
            .setting("inventory", "fba")
            .renews_login_after_401()
    }

    macro_rules! checks {
        ($($check:ident),* $(,)?) => {
            $(
                #[test]
                fn $check() {
                    suite().run_blocking(stringify!($check));
                }
            )*
        };
    }

    checks!(
        full_sync_equals_truth,
        get_matches_list,
        incremental_reads_changes,
        deletions_disappear,
        writes_round_trip,
    );
}
