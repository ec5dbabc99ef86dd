//! The kit's conformance suite against the Wix simulator, once per way a site
//! connects: app OAuth (a token minted with the client-credentials grant, minted again
//! after a 401), an API key with `wix-site-id`, and the legacy refresh token.

mod oauth {
    use polycart_kit::conformance::Suite;
    use polycart_wix::sim::{APP_ID, APP_SECRET, INSTANCE_ID};
    polycart_kit::conformance_tests!(
        Suite::new(polycart_wix::connector())
            .setting("auth", "oauth")
            .credential("app_id", APP_ID)
            .credential("app_secret", APP_SECRET)
            .credential("instance_id", INSTANCE_ID)
            .renews_login_after_401()
    );
}

mod api_key {
    use polycart_kit::conformance::Suite;
    use polycart_wix::sim::{API_KEY, SITE_ID};
    polycart_kit::conformance_tests!(
        Suite::new(polycart_wix::connector())
            .setting("auth", "api_key")
            .credential("api_key", API_KEY)
            .credential("site_id", SITE_ID)
    );
}

mod legacy {
    use polycart_kit::conformance::Suite;
    use polycart_wix::sim::{APP_ID, APP_SECRET, REFRESH_TOKEN};
    polycart_kit::conformance_tests!(
        Suite::new(polycart_wix::connector())
            .setting("auth", "legacy")
            .credential("app_id", APP_ID)
            .credential("app_secret", APP_SECRET)
            .credential("refresh_token", REFRESH_TOKEN)
            .renews_login_after_401()
    );
}
