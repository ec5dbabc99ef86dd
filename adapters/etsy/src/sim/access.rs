//! Who may call the simulator and how often: the OAuth token endpoint (PKCE
//! authorization codes, one-hour access tokens, refresh tokens that rotate on every
//! use), and the gate in front of the API — `x-api-key` as
//! `{keystring}:{shared_secret}`, both rate windows with Etsy's headers and 429
//! bodies, then the bearer token with Etsy's `invalid_token` answers.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use polycart_kit::auth::pkce_challenge;
use serde_json::json;

use super::{EtsySim, error};

/// `POST /v3/public/oauth/token` (form): `authorization_code` with PKCE, and
/// rotating `refresh_token`s.
fn is_form(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/x-www-form-urlencoded"))
}

pub(super) async fn token(
    State(sim): State<EtsySim>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // A form, as Etsy documents; clients also send JSON (etsy/open-api issue #549),
    // which Etsy takes too.
    let form: HashMap<String, String> = match super::fields(&headers, &body) {
        Ok(fields) if !is_form(&headers) => fields
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_owned())))
            .collect(),
        _ => url::form_urlencoded::parse(&body).into_owned().collect(),
    };
    let get = |k: &str| form.get(k).map(String::as_str);
    let oauth_error = |status: StatusCode, code: &str, description: &str| {
        (
            status,
            axum::Json(json!({ "error": code, "error_description": description })),
        )
            .into_response()
    };
    if get("client_id") != Some(sim.keystring.as_str()) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id is not a known app",
        );
    }
    let mut t = sim.tokens();
    match get("grant_type") {
        Some("refresh_token") => {
            if get("refresh_token") != Some(t.refresh.as_str()) || t.refresh.is_empty() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "refresh_token is revoked",
                );
            }
            axum::Json(sim.issue(&mut t)).into_response()
        }
        Some("authorization_code") => {
            let Some((challenge, redirect)) = get("code").and_then(|c| t.codes.remove(c)) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "code is invalid or was already used",
                );
            };
            let verified = get("code_verifier").is_some_and(|v| pkce_challenge(v) == challenge);
            if !verified || get("redirect_uri") != Some(redirect.as_str()) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "code_verifier or redirect_uri does not match",
                );
            }
            axum::Json(sim.issue(&mut t)).into_response()
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type is not supported",
        ),
    }
}

fn invalid_token(description: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({ "error": "invalid_token", "error_description": description })),
    )
        .into_response()
}

fn header(r: &mut Response, name: &'static str, value: u64) {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        r.headers_mut().insert(name, v);
    }
}

/// The API key, both rate windows, then the bearer token.
pub(super) async fn gate(State(sim): State<EtsySim>, request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match key.split_once(':') {
        None if key.is_empty() => return error(StatusCode::FORBIDDEN, "Missing x-api-key header."),
        None => {
            return error(
                StatusCode::FORBIDDEN,
                "Shared secret is required in x-api-key header.",
            );
        }
        Some(("", _)) => {
            return error(
                StatusCode::FORBIDDEN,
                "Invalid API key: should be in the format 'keystring:shared_secret'.",
            );
        }
        Some((ks, ss)) if ks != sim.keystring || ss != sim.shared_secret => {
            return error(StatusCode::FORBIDDEN, "Invalid API key.");
        }
        Some(_) => {}
    }
    let now = Instant::now();
    let second = match sim.per_second.take(now) {
        Ok(w) => w.remaining,
        Err(_) => {
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Exceeded per second rate limit",
            );
            header(&mut r, "x-limit-per-second", sim.limits.per_second);
            header(&mut r, "x-remaining-this-second", 0);
            return r;
        }
    };
    let today = match sim.per_day.take(now) {
        Ok(left) => left,
        Err(wait) => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Exceeded daily rate limit");
            header(&mut r, "x-limit-per-second", sim.limits.per_second);
            header(&mut r, "x-remaining-this-second", second);
            header(&mut r, "x-limit-per-day", sim.limits.per_day);
            header(&mut r, "x-remaining-today", 0);
            header(&mut r, "retry-after", wait.as_secs().max(1));
            return r;
        }
    };
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let valid = {
        let mut t = sim.tokens();
        let until = bearer.as_ref().and_then(|b| t.access.get(b).copied());
        if let (Some(b), Some(u)) = (&bearer, until)
            && u > now
        {
            *t.used.entry(b.clone()).or_default() += 1;
        }
        until
    };
    let mut response = match valid {
        // Etsy's answer, as developers quote it (etsy/open-api issue #519).
        None => invalid_token("access token is not valid"),
        Some(until) if until <= now => invalid_token("access token is expired"),
        Some(_) => next.run(request).await,
    };
    header(&mut response, "x-limit-per-second", sim.limits.per_second);
    header(&mut response, "x-remaining-this-second", second);
    header(&mut response, "x-limit-per-day", sim.limits.per_day);
    header(&mut response, "x-remaining-today", today);
    response
}
