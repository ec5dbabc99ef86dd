//! What self-hosted WordPress sites answer, classified: the REST API's JSON (a PHP
//! notice or warning printed before it stripped, with a warning in the log: stores with
//! `display_errors` on are common and the JSON after the notice is intact), WordPress
//! error bodies, and the bad-store classics — login pages and redirects to the login,
//! other redirects, HTML pages, a missing plugin, PHP errors — each a typed error.

use http::{HeaderMap, StatusCode};
use polycart_kit::error::{Error, Result, excerpt};
use polycart_kit::transport::html::{looks_html, unusable_success};
use polycart_kit::transport::{
    Classify, Response, Verdict, classify_status, final_error, retry_after,
};
use url::Url;

/// What a badly behaving WordPress site answered instead of the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadStore {
    #[error(
        "the site answered with its WordPress login page instead of the REST API (a security plugin or the host blocks /wp-json)"
    )]
    LoginPage,
    #[error("the site redirects the REST API to the WordPress login ({0})")]
    LoginRedirect(String),
    #[error("the site redirects the REST API to {0}; set base_url to the final site URL")]
    Redirect(String),
    #[error(
        "no WooCommerce REST API at this site: the WooCommerce plugin is missing or inactive (rest_no_route for wc/v3)"
    )]
    PluginMissing,
    #[error(
        "the site has no REST route {0} (the plugin or extension that serves it is missing or inactive)"
    )]
    NoRoute(String),
    #[error(
        "the site hit a PHP fatal error (WordPress's critical error; PHP's message is in the log)"
    )]
    CriticalError,
    #[error(
        "the site answered an HTML page with status {status}, not JSON (its title is in the log)"
    )]
    HtmlPage { status: u16 },
    #[error("PHP printed an error and no valid JSON followed (PHP's message is in the log)")]
    PhpError,
}

impl BadStore {
    /// The kit error a caller acts on: login problems (and a host's HTML 401/403, such
    /// as HTTP auth on a staging site) are auth errors, a missing plugin
    /// or an HTML 404 is not-found, the rest are platform errors.
    pub fn into_error(self, status: u16) -> Error {
        match &self {
            BadStore::LoginPage
            | BadStore::LoginRedirect(_)
            | BadStore::HtmlPage {
                status: 401 | 403, ..
            } => Error::auth(self.to_string()),
            BadStore::PluginMissing | BadStore::NoRoute(_) => Error::not_found(self.to_string()),
            BadStore::HtmlPage { status: 404, .. } => Error::not_found(self.to_string()),
            BadStore::Redirect(_) => Error::invalid(self.to_string()),
            BadStore::HtmlPage { .. } | BadStore::PhpError | BadStore::CriticalError => {
                Error::Platform {
                    status,
                    body: self.to_string(),
                }
            }
        }
    }
}

/// The bad-store error of a response the transport gave up on, when it is one: an
/// HTML page, or PHP's output (a fatal error and WordPress's critical-error answer).
/// What the page or PHP said goes to the log, never into the error.
pub(crate) fn explain(response: &Response) -> Option<BadStore> {
    let status = response.status.as_u16();
    let body = response.text_lossy();
    if looks_html(&body) {
        tracing::warn!(status, title = %html_title(&body), "the site answered an HTML page");
        return Some(BadStore::HtmlPage { status });
    }
    let critical = body.contains("internal_server_error") || body.contains("critical error");
    if status >= 500 && critical {
        let php = body.split('{').next().map(strip_tags).unwrap_or_default();
        tracing::warn!(status, php = %excerpt(&php, 300), "the site hit a PHP fatal error");
        return Some(BadStore::CriticalError);
    }
    None
}

/// The REST route a request named (`wc/v3/orders`), in either URL form.
fn route_of(url: &Url) -> String {
    if let Some((_, r)) = url.query_pairs().find(|(k, _)| k == "rest_route") {
        return r.trim_matches('/').to_owned();
    }
    url.path()
        .split_once("/wp-json/")
        .map(|(_, r)| r.trim_matches('/').to_owned())
        .unwrap_or_default()
}

/// WordPress's login form (a theme page merely linking to `wp-login.php` is not one).
fn is_login_page(text: &str) -> bool {
    text.contains("id=\"loginform\"") || text.contains("name=\"loginform\"")
}

fn html_title(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    match (lower.find("<title>"), lower.find("</title>")) {
        (Some(a), Some(b)) if b > a + 7 => excerpt(&text[a + 7..b], 80),
        _ => excerpt(text, 80),
    }
}

const PHP_MARKERS: &[&str] = &[
    "Notice",
    "Warning",
    "Deprecated",
    "Fatal error",
    "Parse error",
    "Strict Standards",
];

/// The JSON document in a body, with a PHP notice or warning before it stripped.
/// `Ok(None)`: not JSON at all; `Err`: PHP output without valid JSON after it.
pub fn json_text(text: &str) -> Result<Option<&str>, BadStore> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(serde_json::from_str::<serde::de::IgnoredAny>(trimmed)
            .is_ok()
            .then_some(trimmed));
    }
    let head = trimmed.get(..400).unwrap_or(trimmed);
    if !PHP_MARKERS.iter().any(|m| head.contains(m)) {
        return Ok(None);
    }
    for (i, c) in trimmed.char_indices().take(20_000) {
        if (c == '{' || c == '[')
            && serde_json::from_str::<serde::de::IgnoredAny>(&trimmed[i..]).is_ok()
        {
            tracing::warn!(notice = %excerpt(&trimmed[..i], 200), "stripped PHP output before the JSON body");
            return Ok(Some(&trimmed[i..]));
        }
    }
    tracing::warn!(php = %excerpt(&strip_tags(head), 300), "PHP printed an error and no JSON followed");
    Err(BadStore::PhpError)
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut tag = false;
    for c in s.chars() {
        match c {
            '<' => tag = true,
            '>' => tag = false,
            c if !tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `{"code": ..., "message": ...}` of a WordPress error body.
fn wp_error(text: &str) -> Option<(String, String)> {
    let body = json_text(text).ok()??;
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    Some((
        v.get("code")?.as_str()?.to_owned(),
        v.get("message")
            .and_then(|m| m.as_str())
            .unwrap_or_default()
            .to_owned(),
    ))
}

/// Added to a refusal of keys sent over plain http, which WooCommerce never looks at.
const PLAIN_HTTP_HINT: &str = " (over plain http WooCommerce accepts only OAuth 1.0a signatures, setting auth=oauth1 or auto; basic auth and query-string keys need https)";

/// Classifies what a WordPress site answers.
#[derive(Debug, Default)]
pub struct WooClassifier;

impl WooClassifier {
    /// What is wrong with a response, if it is one of the bad-store classics.
    pub fn diagnose(
        status: StatusCode,
        headers: &HeaderMap,
        text: &str,
        url: &Url,
    ) -> Option<BadStore> {
        if status.is_redirection() {
            let to = headers
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            // The query may echo credentials (`consumer_secret=`): name the place only.
            let to = to.split('?').next().unwrap_or_default();
            return Some(if to.contains("wp-login.php") {
                BadStore::LoginRedirect(excerpt(to, 120))
            } else {
                BadStore::Redirect(excerpt(to, 120))
            });
        }
        if looks_html(text) {
            return Some(if is_login_page(text) && status.is_success() {
                BadStore::LoginPage
            } else {
                tracing::warn!(status = status.as_u16(), title = %html_title(text), "the site answered an HTML page");
                BadStore::HtmlPage {
                    status: status.as_u16(),
                }
            });
        }
        if status == StatusCode::NOT_FOUND
            && wp_error(text).is_some_and(|(code, _)| code == "rest_no_route")
        {
            let route = route_of(url);
            return Some(if route.is_empty() || route.starts_with("wc/") {
                BadStore::PluginMissing
            } else {
                BadStore::NoRoute(route)
            });
        }
        if let Err(e) = json_text(text) {
            return Some(e);
        }
        None
    }
}

impl Classify for WooClassifier {
    fn classify(&self, r: &Response) -> Verdict {
        let text = r.text_lossy();
        let status = r.status;
        match status.as_u16() {
            429 => {
                return Verdict::Throttled {
                    after: retry_after(&r.headers),
                };
            }
            // Hosts answer 503 with Retry-After when they shed load: a throttle, not a fault.
            503 if r.headers.contains_key(http::header::RETRY_AFTER) => {
                return Verdict::Throttled {
                    after: retry_after(&r.headers),
                };
            }
            _ => {}
        }
        if let Some(bad) = Self::diagnose(status, &r.headers, &text, &r.url) {
            match bad {
                // A cache or maintenance page in place of the JSON: the check below.
                BadStore::HtmlPage { .. } if status.is_success() => {}
                BadStore::HtmlPage { status: s, .. } if s >= 500 => return Verdict::Retry,
                bad => return Verdict::Fail(bad.into_error(status.as_u16())),
            }
        }
        // An HTML page or truncated, garbled JSON on a 2xx (JSON after a PHP notice is
        // fine): retry where the request allows it.
        if unusable_success(r, |t| matches!(json_text(t), Ok(Some(_)))).is_some() {
            return Verdict::Retry;
        }
        if status.is_success() {
            return Verdict::Done;
        }
        let wp = wp_error(&text);
        match (status.as_u16(), wp) {
            (401 | 403, Some((code, message))) => {
                let mut text = format!("{status}: {code}: {message}");
                let signed = r.url.query_pairs().any(|(k, _)| k == "oauth_signature");
                if r.url.scheme() == "http" && !signed {
                    text.push_str(PLAIN_HTTP_HINT);
                }
                Verdict::Fail(Error::auth(text))
            }
            (404 | 410, Some((code, message))) => Verdict::Fail(Error::not_found(format!(
                "{} ({code}: {message})",
                r.url.path()
            ))),
            (400 | 409 | 413 | 422, Some((code, message))) => {
                Verdict::Fail(Error::invalid(format!("{code}: {message}")))
            }
            _ => classify_status(r),
        }
    }

    fn final_error(&self, response: &Response, verdict: &Verdict) -> Error {
        if matches!(verdict, Verdict::Throttled { .. }) {
            // A maintenance page with Retry-After is a throttle, whatever it shows.
            return final_error(response, verdict);
        }
        match explain(response) {
            Some(bad) => bad.into_error(response.status.as_u16()),
            None => final_error(response, verdict),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_notice_is_stripped_only_before_valid_json() {
        let body = "<br />\n<b>Notice</b>:  Undefined index: x in <b>/a.php</b> on line <b>1</b><br />\n[{\"id\":1}]";
        assert_eq!(json_text(body).unwrap(), Some("[{\"id\":1}]"));
        let broken = "<br />\n<b>Warning</b>: something in /a.php<br />\n[{\"id\":1";
        assert!(matches!(json_text(broken), Err(BadStore::PhpError)));
        assert_eq!(json_text("<html><body>hi</body></html>").unwrap(), None);
        assert_eq!(json_text("{\"a\":1}").unwrap(), Some("{\"a\":1}"));
    }

    #[test]
    fn diagnoses_the_classics() {
        let h = HeaderMap::new();
        let api: Url = "https://shop.example/wp-json/wc/v3/orders".parse().unwrap();
        let login = "<!DOCTYPE html><html><head><title>Log In</title></head><form id=\"loginform\" action=\"/wp-login.php\"></form></html>";
        assert_eq!(
            WooClassifier::diagnose(StatusCode::OK, &h, login, &api),
            Some(BadStore::LoginPage)
        );
        let missing = r#"{"code":"rest_no_route","message":"No route was found matching the URL and request method.","data":{"status":404}}"#;
        assert_eq!(
            WooClassifier::diagnose(StatusCode::NOT_FOUND, &h, missing, &api),
            Some(BadStore::PluginMissing)
        );
        let mut r = HeaderMap::new();
        r.insert(
            http::header::LOCATION,
            "https://shop.example/wp-login.php?redirect_to=x"
                .parse()
                .unwrap(),
        );
        assert!(matches!(
            WooClassifier::diagnose(StatusCode::FOUND, &r, "", &api),
            Some(BadStore::LoginRedirect(_))
        ));
        assert_eq!(
            WooClassifier::diagnose(StatusCode::OK, &h, "[]", &api),
            None
        );
        // A theme page linking to the login is an HTML page, not the login page.
        let home = "<!DOCTYPE html><html><head><title>Shop</title></head><a href=\"/wp-login.php\">Log in</a></html>";
        assert!(matches!(
            WooClassifier::diagnose(StatusCode::OK, &h, home, &api),
            Some(BadStore::HtmlPage { status: 200, .. })
        ));
        // An extension's route missing is that route, not WooCommerce.
        let tracking: Url = "http://shop.example/index.php?rest_route=/wc-shipment-tracking/v3/orders/1/shipment-trackings"
            .parse()
            .unwrap();
        assert_eq!(
            WooClassifier::diagnose(StatusCode::NOT_FOUND, &h, missing, &tracking),
            Some(BadStore::NoRoute(
                "wc-shipment-tracking/v3/orders/1/shipment-trackings".into()
            ))
        );
    }

    #[test]
    fn explains_what_the_transport_gave_up_on_without_quoting_it() {
        let response = |status: u16, body: &str| Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: bytes::Bytes::from(body.to_owned()),
            url: "http://shop.example/wp-json/wc/v3/orders".parse().unwrap(),
        };
        let fatal = "<br />\n<b>Fatal error</b>:  Allowed memory size exhausted in <b>/x.php</b><br />\n{\"code\":\"internal_server_error\",\"message\":\"<p>There has been a critical error on this website.</p>\"";
        let error = WooClassifier.final_error(&response(500, fatal), &Verdict::Retry);
        match &error {
            Error::Platform { status: 500, body } => {
                assert!(body.contains("PHP fatal error"), "{body}");
                assert!(!body.contains("Allowed memory size"), "{body}");
            }
            e => panic!("{e:?}"),
        }
        let gateway = "<html>\r\n<head><title>502 Bad Gateway</title></head></html>";
        match WooClassifier.final_error(&response(502, gateway), &Verdict::Retry) {
            Error::Platform { status: 502, body } => {
                assert!(
                    body.contains("HTML page") && !body.contains("Bad Gateway"),
                    "{body}"
                )
            }
            e => panic!("{e:?}"),
        }
        let plain = WooClassifier.final_error(
            &response(500, "{\"code\":\"x\",\"message\":\"boom\"}"),
            &Verdict::Retry,
        );
        assert_eq!(plain.to_string(), "platform answered 500: boom");
    }
}
