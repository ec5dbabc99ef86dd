//! The route of a platform request as telemetry shows it: the URL's path with every
//! id-like segment replaced by `{id}`, and never the host's query string. A trace or a
//! metric label must not carry what a URL may hold — record ids (unbounded label
//! values, a tenant's business), and in query strings signatures, access tokens and
//! consumer keys (Shopee, Lazada, WooCommerce's query-string auth).
//!
//! Requests are built by adapters from literal segments and validated ids
//! ([`crate::ApiPath`]), but the template is not kept beside the URL, so it is read
//! back from the path: a segment is an id when it holds a digit and is not an API
//! version (`v3`, `V1`, `2024-01`, `202309`), when it was percent-encoded, or when it is
//! longer than any literal route word.

/// Longest segment kept as a literal word.
const MAX_LITERAL: usize = 40;

/// `path` with its id-like segments replaced by `{id}` (an extension such as `.json`
/// is kept: `/admin/api/2024-01/orders/{id}.json`).
pub fn route_template(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let (stem, extension) = match segment.rsplit_once('.') {
            Some((stem, ext))
                if !stem.is_empty()
                    && !ext.is_empty()
                    && ext.bytes().all(|b| b.is_ascii_alphabetic()) =>
            {
                (stem, Some(ext))
            }
            _ => (segment, None),
        };
        if is_id(stem) {
            out.push_str("{id}");
            if let Some(ext) = extension {
                out.push('.');
                out.push_str(ext);
            }
        } else {
            out.push_str(segment);
        }
    }
    out
}

fn is_id(segment: &str) -> bool {
    if segment.is_empty() {
        return false;
    }
    segment.contains('%')
        || segment.len() > MAX_LITERAL
        || !segment.is_ascii()
        || (segment.bytes().any(|b| b.is_ascii_digit()) && !is_version(segment))
}

/// `v3`, `V1`, `v1.1`, `2024-01`, `2026-01-01`, `202309` (a year and month).
fn is_version(segment: &str) -> bool {
    let b = segment.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if let Some(rest) = segment.strip_prefix(['v', 'V']) {
        return rest.split('.').all(|p| digits(p.as_bytes()));
    }
    let date = |s: &str| {
        let parts: Vec<&str> = s.split('-').collect();
        matches!(parts.len(), 2 | 3)
            && parts[0].len() == 4
            && parts[1..].iter().all(|p| p.len() == 2)
            && parts.iter().all(|p| digits(p.as_bytes()))
    };
    date(segment) || (b.len() == 6 && digits(b) && b.starts_with(b"20"))
}

#[cfg(test)]
mod tests {
    use super::route_template;

    #[test]
    fn ids_become_placeholders_and_words_stay() {
        for (path, template) in [
            (
                "/admin/api/2024-01/orders/450789469.json",
                "/admin/api/2024-01/orders/{id}.json",
            ),
            ("/wp-json/wc/v3/orders", "/wp-json/wc/v3/orders"),
            ("/rest/V1/products/24-MB01", "/rest/V1/products/{id}"),
            ("/rest/V1/products/a%2Fb", "/rest/V1/products/{id}"),
            ("/api/v3/123456/orders", "/api/v3/{id}/orders"),
            ("/order/202309/orders/search", "/order/202309/orders/search"),
            (
                "/orders/2026-01-01/orders/123-1234567-1234567",
                "/orders/2026-01-01/orders/{id}",
            ),
            (
                "/stores/abc123def/v3/catalog/products/77",
                "/stores/{id}/v3/catalog/products/{id}",
            ),
            (
                "/v1/items/9f1c2d3e-4b5a-6789-abcd-ef0123456789",
                "/v1/items/{id}",
            ),
            ("/", "/"),
            ("", ""),
        ] {
            assert_eq!(route_template(path), template, "{path}");
        }
    }
}
