//! The dashboard at `/ui`: one static page (HTML, a small vanilla script, a style
//! sheet) compiled into the binary, so it works offline and needs no CDN. The page
//! holds no data of its own: it asks for an API key, keeps it in `sessionStorage`, and
//! reads the same scoped JSON endpoints as any client (`/v1/overview`,
//! `/v1/stores/{store}/history`, `/v1/keys`, ...). Served with a strict content
//! security policy: the page may only load its own assets and call its own origin.

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::AppState;

const INDEX: &str = include_str!("ui/index.html");
const SCRIPT: &str = include_str!("ui/app.js");
const STYLE: &str = include_str!("ui/app.css");

/// Where the dashboard is served.
pub const PATH: &str = "/ui/";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
     img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The dashboard's routes (no API key: the page asks for one).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/ui", get(|| async { Redirect::permanent(PATH) }))
        .route(
            PATH,
            get(|| async { asset("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/ui/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/ui/app.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            // The assets change with the binary: revalidate rather than cache stale.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_assets() {
        assert!(INDEX.contains("src=\"app.js\"") && INDEX.contains("href=\"app.css\""));
        for text in [INDEX, SCRIPT, STYLE] {
            // The SVG namespace is a name, not a location.
            let text = text.replace("http://www.w3.org/2000/svg", "");
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "no remote asset"
            );
        }
        // Every fetch sends the key as a bearer token, never in a URL.
        assert!(SCRIPT.contains("Authorization"));
        assert!(!SCRIPT.contains("api_key="));
    }
}
