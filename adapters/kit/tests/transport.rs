//! The transport against a local axum server: Retry-After, 5xx bursts, no blind
//! retries of writes, budget headers slowing requests, 401 refresh, secret redaction.
//! Every transport here runs on a fake clock: its waits (governor, Retry-After,
//! backoff) take no time, and what they add up to is read off the clock.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::any;
use polycart_kit::auth::{Auth, QueryKeys};
use polycart_kit::transport::{
    Budget, Request, RetryPolicy, Transport, TransportClock, UsedOfSizeHeader,
};
use polycart_kit::{Error, Secret};

/// Serves `handler(call number, headers)` for every request; returns the base URL.
async fn server<F>(handler: F) -> (url::Url, Arc<AtomicU32>)
where
    F: Fn(u32, &HeaderMap) -> axum::response::Response + Send + Sync + 'static,
{
    serve(move |n, headers| std::future::ready(handler(n, &headers))).await
}

/// Like [`server`], with an answer that may take its time (or never come).
async fn serve<F, A>(handler: F) -> (url::Url, Arc<AtomicU32>)
where
    F: Fn(u32, HeaderMap) -> A + Send + Sync + 'static,
    A: Future<Output = axum::response::Response> + Send + 'static,
{
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let handler = Arc::new(handler);
    let app = Router::new().route(
        "/{*path}",
        any(move |headers: HeaderMap| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            handler(n, headers)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/").parse().unwrap(), calls)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 5,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

/// A transport on `clock`.
fn transport_on(clock: &TransportClock) -> Transport {
    Transport::builder("store-1", "test")
        .budget(Budget::new(100, 100.0))
        .retry(fast_retries())
        .clock(clock.clone())
        .build()
}

fn transport() -> Transport {
    transport_on(&TransportClock::fake())
}

#[tokio::test]
async fn waits_for_retry_after_before_retrying_a_429() {
    let (base, calls) = server(|n, _| {
        if n == 1 {
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "2")],
                "slow down",
            )
                .into_response()
        } else {
            (StatusCode::OK, "{}").into_response()
        }
    })
    .await;
    let clock = TransportClock::fake();
    let t = transport_on(&clock);
    let response = t
        .send(Request::get(base.join("orders").unwrap()))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        clock.elapsed() >= Duration::from_secs(2),
        "retried after {:?}",
        clock.elapsed()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let m = t.metrics().snapshot();
    assert_eq!(m.throttled_429, 1);
    assert_eq!(m.retries, 1);
}

#[tokio::test]
async fn a_503_burst_is_retried_until_it_succeeds() {
    let (base, calls) = server(|n, _| {
        if n <= 3 {
            (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response()
        } else {
            (StatusCode::OK, "{\"ok\":true}").into_response()
        }
    })
    .await;
    let response = transport()
        .send(Request::get(base.join("orders").unwrap()))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn gives_up_after_max_retries_with_a_platform_error() {
    let (base, calls) =
        server(|_, _| (StatusCode::BAD_GATEWAY, "bad gateway").into_response()).await;
    let err = transport()
        .send(Request::get(base.join("x").unwrap()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Platform { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn a_post_without_idempotency_key_is_not_retried_after_a_502() {
    let (base, calls) =
        server(|_, _| (StatusCode::BAD_GATEWAY, "bad gateway").into_response()).await;
    let err = transport()
        .send(Request::post(base.join("orders").unwrap()).json(&serde_json::json!({"a": 1})))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Platform { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a write must not be repeated blindly"
    );
}

#[tokio::test]
async fn a_post_with_an_idempotency_key_is_retried_and_sends_the_key() {
    let (base, calls) = server(|n, headers| {
        assert_eq!(headers["idempotency-key"], "k-1");
        if n == 1 {
            (StatusCode::BAD_GATEWAY, "").into_response()
        } else {
            (StatusCode::CREATED, "{}").into_response()
        }
    })
    .await;
    let request = Request::post(base.join("orders").unwrap()).idempotency_key(
        http::HeaderName::from_static("idempotency-key"),
        Some("k-1"),
    );
    assert_eq!(
        transport().send(request).await.unwrap().status,
        StatusCode::CREATED
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_throttled_post_is_retried_because_the_platform_did_not_act_on_it() {
    let (base, calls) = server(|n, _| {
        if n == 1 {
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")], "").into_response()
        } else {
            (StatusCode::CREATED, "{}").into_response()
        }
    })
    .await;
    let response = transport()
        .send(Request::post(base.join("orders").unwrap()))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_full_bucket_header_delays_the_next_request() {
    let (base, _) = server(|n, _| {
        let used = if n == 1 { "40/40" } else { "1/40" };
        (
            StatusCode::OK,
            [("x-shopify-shop-api-call-limit", used)],
            "{}",
        )
            .into_response()
    })
    .await;
    let clock = TransportClock::fake();
    let t = Transport::builder("store-1", "test")
        .budget(Budget::new(40, 2.0))
        .budget_reader(Arc::new(UsedOfSizeHeader {
            header: "x-shopify-shop-api-call-limit",
            seconds_to_drain: 20.0,
        }))
        .clock(clock.clone())
        .build();
    t.send(Request::get(base.join("a").unwrap())).await.unwrap();
    let started = clock.elapsed();
    t.send(Request::get(base.join("b").unwrap())).await.unwrap();
    // A full 40-bucket leaking 2/s has room for one request after 0.5 s.
    assert!(
        clock.elapsed() - started >= Duration::from_millis(450),
        "waited only {:?}",
        clock.elapsed() - started
    );
    assert!(t.metrics().snapshot().governor_wait >= Duration::from_millis(450));
}

#[tokio::test]
async fn times_out_and_retries_reads() {
    let (base, calls) = serve(|n, _| async move {
        if n == 1 {
            // Never answered: only the timeout ends the first attempt.
            std::future::pending::<()>().await;
        }
        (StatusCode::OK, "{}").into_response()
    })
    .await;
    let t = Transport::builder("s", "test")
        .retry(fast_retries())
        .timeout(Duration::from_millis(150))
        .clock(TransportClock::fake())
        .build();
    assert_eq!(
        t.send(Request::get(base.join("x").unwrap()))
            .await
            .unwrap()
            .status,
        StatusCode::OK
    );
    assert!(calls.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn secrets_never_appear_in_errors() {
    let (base, _) = server(|_, _| {
        (
            StatusCode::BAD_REQUEST,
            r#"{"message": "invalid consumer_secret=cs_topsecret_123 in request"}"#,
        )
            .into_response()
    })
    .await;
    let auth: Arc<dyn Auth> = Arc::new(QueryKeys::new(vec![(
        "consumer_secret".into(),
        Secret::new("cs_topsecret_123"),
    )]));
    let t = Transport::builder("s", "test")
        .auth(auth)
        .retry(fast_retries())
        .clock(TransportClock::fake())
        .build();
    let err = t
        .send(Request::get(base.join("x").unwrap()))
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("cs_topsecret_123"), "{text}");
    assert!(text.contains("**REDACTED**"), "{text}");

    // A refused connection's message names no URL (which would carry the key).
    let dead: url::Url = "http://127.0.0.1:9/x".parse().unwrap();
    let auth: Arc<dyn Auth> = Arc::new(QueryKeys::new(vec![(
        "consumer_secret".into(),
        Secret::new("cs_topsecret_123"),
    )]));
    let t = Transport::builder("s", "test")
        .auth(auth)
        .retry(RetryPolicy::none())
        .clock(TransportClock::fake())
        .build();
    let err = t.send(Request::get(dead)).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("cs_topsecret_123"));
}

#[tokio::test]
async fn unauthorized_is_an_auth_error_without_retries() {
    let (base, calls) =
        server(|_, _| (StatusCode::UNAUTHORIZED, "[API] Invalid API key").into_response()).await;
    let err = transport()
        .send(Request::get(base.join("x").unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// An auth whose token changes after the transport is built (a minted or refreshed
/// OAuth token).
struct Rotating(std::sync::Mutex<Secret>);

#[async_trait::async_trait]
impl Auth for Rotating {
    async fn authorize(
        &self,
        request: &mut polycart_kit::auth::PreparedRequest,
    ) -> polycart_kit::Result<()> {
        let token = self.0.lock().unwrap().clone();
        request
            .headers
            .insert("authorization", token.expose().parse().unwrap());
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.0.lock().unwrap().clone()]
    }
}

#[tokio::test]
async fn a_token_minted_after_the_transport_was_built_is_redacted_too() {
    // A platform that echoes the credentials it refused.
    let (base, _) = server(|_, headers| {
        let token = headers["authorization"].to_str().unwrap().to_owned();
        (
            StatusCode::BAD_REQUEST,
            format!(r#"{{"message": "token {token} is not valid here"}}"#),
        )
            .into_response()
    })
    .await;
    let auth = Arc::new(Rotating(std::sync::Mutex::new(Secret::new(
        "first-token-1",
    ))));
    let t = Transport::builder("s", "test")
        .auth(auth.clone())
        .retry(fast_retries())
        .clock(TransportClock::fake())
        .build();
    *auth.0.lock().unwrap() = Secret::new("minted-token-2");
    let err = t
        .send(Request::get(base.join("x").unwrap()))
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("minted-token-2"), "{text}");
    assert!(text.contains("**REDACTED**"), "{text}");
}

/// An auth that counts its refreshes after a refused token.
struct CountingRefresh(AtomicU32);

#[async_trait::async_trait]
impl Auth for CountingRefresh {
    async fn authorize(
        &self,
        _: &mut polycart_kit::auth::PreparedRequest,
    ) -> polycart_kit::Result<()> {
        Ok(())
    }

    async fn refresh_after_unauthorized(&self) -> polycart_kit::Result<bool> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(true)
    }

    fn secrets(&self) -> Vec<Secret> {
        Vec::new()
    }
}

/// Reads a refused token from the body of a 200 (`{"error":"error_auth"}`).
struct BodyAuthClassifier;

impl polycart_kit::transport::Classify for BodyAuthClassifier {
    fn classify(
        &self,
        response: &polycart_kit::transport::Response,
    ) -> polycart_kit::transport::Verdict {
        if response.text_lossy().contains("error_auth") {
            return polycart_kit::transport::Verdict::Fail(Error::auth("error_auth"));
        }
        polycart_kit::transport::classify_status(response)
    }

    fn unauthorized(&self, response: &polycart_kit::transport::Response) -> bool {
        response.text_lossy().contains("error_auth")
    }
}

#[tokio::test]
async fn a_token_refused_in_the_body_is_refreshed_once_and_retried() {
    let (base, calls) = server(|n, _| {
        if n == 1 {
            (
                StatusCode::OK,
                r#"{"error":"error_auth","message":"Invalid access_token."}"#,
            )
                .into_response()
        } else {
            (StatusCode::OK, r#"{"error":"","response":{}}"#).into_response()
        }
    })
    .await;
    let auth = Arc::new(CountingRefresh(AtomicU32::new(0)));
    let t = Transport::builder("store-1", "test")
        .auth(auth.clone())
        .classifier(Arc::new(BodyAuthClassifier))
        .retry(fast_retries())
        .clock(TransportClock::fake())
        .build();
    let ok = t.send(Request::get(base.join("x").unwrap())).await.unwrap();
    assert!(ok.text_lossy().contains("response"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(auth.0.load(Ordering::SeqCst), 1);

    // Refused again after the refresh: an auth error, no second refresh.
    let (base, calls) =
        server(|_, _| (StatusCode::OK, r#"{"error":"error_auth"}"#).into_response()).await;
    let err = t
        .send(Request::get(base.join("x").unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(auth.0.load(Ordering::SeqCst), 2);
}
