//! "A 2xx that is not the JSON it should be means try again": an HTML page in place
//! of the API's answer (a proxy's or CDN's error page, a host's maintenance or cache
//! page) or a cut-off or garbled JSON body is transient, not data. Every classifier
//! asks this one helper, with its platform's notion of a JSON body (WordPress sites
//! print PHP notices before intact JSON, which is usable).

use super::{Response, Verdict};

/// Why a 2xx answer cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// An HTML page (by its content type or by its first bytes).
    Html,
    /// Not JSON at all, or JSON cut off.
    BrokenJson,
}

/// Whether `text` starts like an HTML document.
pub fn looks_html(text: &str) -> bool {
    let head = text.trim_start();
    let head = head.get(..16).unwrap_or(head).to_ascii_lowercase();
    head.starts_with("<!doctype") || head.starts_with("<html") || head.starts_with("<head")
}

/// Whether `text` is one whole JSON document.
pub fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Why a 2xx response with a body (not a `204`, not empty) is unusable, if it is:
/// its body is not JSON as `json` reads it, and it is an HTML page or broken JSON.
pub fn unusable_success(response: &Response, json: impl Fn(&str) -> bool) -> Option<Unusable> {
    if !response.status.is_success() || response.status == http::StatusCode::NO_CONTENT {
        return None;
    }
    let text = response.text_lossy();
    if text.trim().is_empty() || json(&text) {
        return None;
    }
    let html_type = response
        .header("content-type")
        .is_some_and(|c| c.trim_start().to_ascii_lowercase().starts_with("text/html"));
    Some(if html_type || looks_html(&text) {
        Unusable::Html
    } else {
        Unusable::BrokenJson
    })
}

/// [`Verdict::Retry`] for an unusable 2xx ([`unusable_success`] with [`is_json`]).
pub fn retry_unusable_success(response: &Response) -> Option<Verdict> {
    unusable_success(response, is_json).map(|_| Verdict::Retry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, StatusCode};

    fn response(status: u16, content_type: Option<&str>, body: &str) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(c) = content_type {
            headers.insert("content-type", c.parse().unwrap());
        }
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: bytes::Bytes::from(body.to_owned()),
            url: "http://127.0.0.1/x".parse().unwrap(),
        }
    }

    #[test]
    fn html_and_broken_json_on_a_2xx_are_unusable() {
        let page = "<!DOCTYPE html><html><head><title>502</title></head></html>";
        assert_eq!(
            unusable_success(
                &response(200, Some("text/html; charset=utf-8"), page),
                is_json
            ),
            Some(Unusable::Html)
        );
        assert_eq!(
            unusable_success(&response(200, Some("application/json"), page), is_json),
            Some(Unusable::Html),
            "sniffed"
        );
        assert_eq!(
            unusable_success(&response(200, None, "[{\"id\":1"), is_json),
            Some(Unusable::BrokenJson)
        );
        assert!(matches!(
            retry_unusable_success(&response(201, None, "oops")),
            Some(Verdict::Retry)
        ));
    }

    #[test]
    fn json_empty_bodies_and_failures_are_left_alone() {
        for r in [
            response(200, Some("application/json"), "[]"),
            response(200, Some("text/html"), "{\"id\":1}"),
            response(204, None, ""),
            response(200, None, "  "),
            response(500, Some("text/html"), "<html></html>"),
            response(404, None, "not json"),
        ] {
            assert_eq!(unusable_success(&r, is_json), None, "{r:?}");
        }
        // A platform's own notion of JSON (PHP notices before it).
        let notice = response(200, None, "<b>Notice</b>: x\n[1]");
        assert_eq!(unusable_success(&notice, |t| t.ends_with("[1]")), None);
    }
}
