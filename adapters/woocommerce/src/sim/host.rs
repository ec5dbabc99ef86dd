//! What a self-hosted WordPress site and its host answer around (or instead of) the
//! REST API: the web server's 404 page, the home page, the login page and redirects to
//! it, an http → https redirect, a proxy's 502 page, WordPress's maintenance mode
//! (503, `Retry-After: 600`), a throttling proxy (429/503 + `Retry-After`), and PHP
//! output (a notice, or a fatal error with WordPress's critical-error answer) printed
//! into the response.

use std::time::Instant;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use polycart_kit::sim::LeakyBucket;

use super::SimConfig;

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    r
}

fn redirect(status: StatusCode, to: &str) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(http::header::LOCATION, v);
    }
    r
}

pub(crate) fn login_page(site: &str) -> Response {
    html(
        StatusCode::OK,
        format!(
            "<!DOCTYPE html>\n<html lang=\"en-US\"><head><title>Log In &lsaquo; Sim Store &#8212; WordPress</title></head>\
             <body class=\"login wp-core-ui\"><form name=\"loginform\" id=\"loginform\" action=\"{site}/wp-login.php\" method=\"post\">\
             <input type=\"text\" name=\"log\" id=\"user_login\"/></form></body></html>\n"
        ),
    )
}

/// The theme's home page; its Meta widget links to the login page.
pub(crate) fn home_page(site: &str) -> Response {
    html(
        StatusCode::OK,
        format!(
            "<!DOCTYPE html>\n<html lang=\"en-US\"><head><title>Sim Store &#8211; Just another WordPress site</title></head>\
             <body class=\"home blog\"><h1>Sim Store</h1><section class=\"widget widget_meta\"><ul>\
             <li><a href=\"{site}/wp-login.php\">Log in</a></li></ul></section></body></html>\n"
        ),
    )
}

pub(crate) fn not_found_page() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head><title>404 Not Found</title></head>\
         <body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n"
            .into(),
    )
}

/// `wp_die()` answers JSON when the client asks for it (`wp_is_json_request()`), HTML
/// otherwise.
fn wants_json(headers: &HeaderMap) -> bool {
    [http::header::ACCEPT, http::header::CONTENT_TYPE]
        .iter()
        .filter_map(|h| headers.get(h).and_then(|v| v.to_str().ok()))
        .any(|v| v.contains("application/json") || v.contains("+json"))
}

/// WordPress's maintenance mode (`wp_maintenance()` while an update runs).
fn maintenance(headers: &HeaderMap) -> Response {
    let message = "Briefly unavailable for scheduled maintenance. Check back in a minute.";
    let mut r = if wants_json(headers) {
        super::routes::json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({"code": "wp_die", "message": message, "data": {"status": 503}, "additional_errors": []}),
        )
    } else {
        html(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "<!DOCTYPE html>\n<html lang=\"en-US\"><head><title>Maintenance</title></head>\
                 <body id=\"error-page\"><div class=\"wp-die-message\">{message}</div></body></html>"
            ),
        )
    };
    r.headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("600"));
    r
}

/// The answer to a REST request when the host, WordPress itself or a plugin gives it
/// before the REST API runs.
pub(crate) fn before_api(
    cfg: &SimConfig,
    limiter: Option<&LeakyBucket>,
    site: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    if cfg.https_redirect {
        let rest = uri.path_and_query().map_or("/", |p| p.as_str());
        let host = site.strip_prefix("http://").unwrap_or(site);
        return Some(redirect(
            StatusCode::MOVED_PERMANENTLY,
            &format!("https://{host}{rest}"),
        ));
    }
    if cfg.bad_gateway {
        return Some(html(
            StatusCode::BAD_GATEWAY,
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
                .into(),
        ));
    }
    if let Some(limiter) = limiter {
        if let Err(refused) = limiter.take(1.0, Instant::now()) {
            let secs = refused.retry_after.as_secs_f64().ceil().max(1.0) as u64;
            let mut r = if cfg.throttle_with_503 {
                html(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>".into(),
                )
            } else {
                html(
                    StatusCode::TOO_MANY_REQUESTS,
                    "<html><body><h1>429 Too Many Requests</h1></body></html>".into(),
                )
            };
            r.headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
            return Some(r);
        }
    }
    if cfg.maintenance {
        return Some(maintenance(headers));
    }
    if cfg.login_redirect {
        let to = format!(
            "{site}/wp-login.php?redirect_to={}",
            url::form_urlencoded::byte_serialize(uri.to_string().as_bytes()).collect::<String>()
        );
        return Some(redirect(StatusCode::FOUND, &to));
    }
    if cfg.login_page {
        return Some(login_page(site));
    }
    None
}

const PHP_NOTICE: &str = "<br />\n<b>Notice</b>:  Undefined index: shipping_zone in <b>/var/www/html/wp-content/plugins/legacy-shipping/shipping.php</b> on line <b>112</b><br />\n";

const PHP_FATAL: &str = "<br />\n<b>Fatal error</b>:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in <b>/var/www/html/wp-includes/class-wpdb.php</b> on line <b>2316</b><br />\n";

/// PHP's own output around the API's answer: a notice printed before a JSON body, or a
/// fatal error after which WordPress's shutdown handler answers its critical error
/// (JSON for REST requests) with status 500.
pub(crate) async fn after_api(cfg: &SimConfig, response: Response) -> Response {
    let is_json = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if cfg.php_fatal {
        let critical = serde_json::json!({
            "code": "internal_server_error",
            "message": "<p>There has been a critical error on this website.</p><p><a href=\"https://wordpress.org/documentation/article/faq-troubleshooting/\">Learn more about troubleshooting WordPress.</a></p>",
            "data": {"status": 500},
            "additional_errors": [],
        });
        let mut r = super::routes::json_response(StatusCode::INTERNAL_SERVER_ERROR, &critical);
        let body = format!("{PHP_FATAL}{}", super::encode::wp_json(&critical));
        *r.body_mut() = Body::from(body);
        return r;
    }
    if cfg.php_notice && is_json {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let mut out = PHP_NOTICE.as_bytes().to_vec();
        out.extend_from_slice(&bytes);
        return Response::from_parts(parts, Body::from(out));
    }
    response
}
