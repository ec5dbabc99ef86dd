//! The simulator's OAuth endpoints: `/admin/oauth/authorize` approves at once and
//! redirects to the app with `code`, `shop`, `state`, `timestamp`, `host` and an
//! `hmac` signed with the client secret; `/admin/oauth/access_token` exchanges a code
//! (single use) for an offline token, expiring with a refresh token on `expiring=1`,
//! and refreshes (`grant_type=refresh_token`) with rotation: the old refresh token
//! stays valid until the new access token is first used, then never again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderMap, StatusCode};
use polycart_kit::auth::hmac::{constant_time_eq, hex, hmac_sha256};
use serde_json::{Value, json};

use super::SimState;

/// Expiring offline tokens live an hour.
const TOKEN_TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, Default)]
pub(super) struct OAuthState {
    counter: u64,
    /// Unused authorization codes: whether the install asked for expiring tokens.
    codes: HashMap<String, ()>,
    /// Issued access tokens and when they expire (`None`: never).
    tokens: HashMap<String, Option<Instant>>,
    /// Live refresh tokens, each with the access token its use produced (if any).
    refresh: HashMap<String, Option<String>>,
}

impl OAuthState {
    fn fresh(&mut self, prefix: &str, seed: &str) -> String {
        self.counter += 1;
        let mac = hmac_sha256(seed.as_bytes(), &self.counter.to_le_bytes());
        format!("{prefix}{}", &hex(&mac)[..32])
    }
}

impl SimState {
    fn oauth(&self) -> std::sync::MutexGuard<'_, OAuthState> {
        self.oauth.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `token` opens the Admin API now. Using a refreshed token retires the
    /// refresh token that produced it.
    pub(super) fn token_valid(&self, token: &str) -> bool {
        if constant_time_eq(token.as_bytes(), self.access_token.as_bytes()) {
            return true;
        }
        let mut oauth = self.oauth();
        let valid = oauth
            .tokens
            .get(token)
            .is_some_and(|exp| exp.is_none_or(|e| Instant::now() < e));
        if valid {
            oauth
                .refresh
                .retain(|_, successor| successor.as_deref() != Some(token));
        }
        valid
    }

    /// Ends the life of every expiring token now (what an hour does).
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for exp in self.oauth().tokens.values_mut() {
            if exp.is_some() {
                *exp = Some(now);
            }
        }
    }

    /// The app's client id (API key) the simulator accepts.
    pub fn client_id(&self) -> &str {
        "polycart-sim-app"
    }

    fn issue(&self, expiring: bool) -> Value {
        let mut oauth = self.oauth();
        let access = oauth.fresh("shpat_", &self.api_secret);
        if !expiring {
            oauth.tokens.insert(access.clone(), None);
            return json!({"access_token": access, "scope": super::rest::SCOPES.join(",")});
        }
        let refresh = oauth.fresh("shprt_", &self.api_secret);
        oauth
            .tokens
            .insert(access.clone(), Some(Instant::now() + TOKEN_TTL));
        oauth.refresh.insert(refresh.clone(), None);
        json!({
            "access_token": access,
            "scope": super::rest::SCOPES.join(","),
            "expires_in": TOKEN_TTL.as_secs(),
            "refresh_token": refresh,
            "refresh_token_expires_in": 7_776_000,
        })
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// `GET /admin/oauth/authorize`: the merchant approves at once.
pub(super) async fn authorize(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: HashMap<String, String> =
        url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    if pairs.get("client_id").map(String::as_str) != Some(state.client_id()) {
        return (
            StatusCode::BAD_REQUEST,
            "Oauth error invalid_request: The client_id is invalid",
        )
            .into_response();
    }
    let Some(redirect) = pairs
        .get("redirect_uri")
        .and_then(|r| url::Url::parse(r).ok())
    else {
        return (
            StatusCode::BAD_REQUEST,
            "Oauth error invalid_request: The redirect_uri is missing or invalid",
        )
            .into_response();
    };
    let shop = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let code = {
        let mut oauth = state.oauth();
        let code = oauth.fresh("", &state.api_secret);
        oauth.codes.insert(code.clone(), ());
        code
    };
    let mut params = vec![
        ("code".to_owned(), code),
        (
            "host".to_owned(),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("{shop}/admin")),
        ),
        ("shop".to_owned(), shop),
        (
            "state".to_owned(),
            pairs.get("state").cloned().unwrap_or_default(),
        ),
        (
            "timestamp".to_owned(),
            chrono::Utc::now().timestamp().to_string(),
        ),
    ];
    params.sort();
    let message = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let hmac = hex(&hmac_sha256(
        state.api_secret.as_bytes(),
        message.as_bytes(),
    ));
    let mut target = redirect;
    {
        let mut q = target.query_pairs_mut();
        for (k, v) in &params {
            q.append_pair(k, v);
        }
        q.append_pair("hmac", &hmac);
    }
    (
        StatusCode::FOUND,
        [(http::header::LOCATION, target.to_string())],
    )
        .into_response()
}

/// `POST /admin/oauth/access_token` (JSON or form body).
pub(super) async fn access_token(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json_body = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let fields: HashMap<String, String> = if json_body {
        match serde_json::from_slice::<serde_json::Map<String, Value>>(&body) {
            Ok(map) => map
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect(),
            Err(_) => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "the body is not JSON",
                );
            }
        }
    } else {
        url::form_urlencoded::parse(&body).into_owned().collect()
    };
    let get = |k: &str| fields.get(k).map(String::as_str);
    let client_ok = get("client_id") == Some(state.client_id())
        && get("client_secret")
            .is_some_and(|s| constant_time_eq(s.as_bytes(), state.api_secret.as_bytes()));
    if !client_ok {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    match get("grant_type") {
        Some("refresh_token") => {
            let Some(old) = get("refresh_token") else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "refresh_token is required",
                );
            };
            if !state.oauth().refresh.contains_key(old) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The refresh token is invalid or was already rotated",
                );
            }
            let issued = state.issue(true);
            if let Some(access) = issued["access_token"].as_str() {
                state
                    .oauth()
                    .refresh
                    .insert(old.to_owned(), Some(access.to_owned()));
            }
            axum::Json(issued).into_response()
        }
        None | Some("authorization_code") => {
            let Some(code) = get("code") else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "code is required",
                );
            };
            if state.oauth().codes.remove(code).is_none() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The authorization code was not found or was already used",
                );
            }
            let expiring = matches!(get("expiring"), Some("1" | "true"));
            axum::Json(state.issue(expiring)).into_response()
        }
        Some(other) => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", other),
    }
}
