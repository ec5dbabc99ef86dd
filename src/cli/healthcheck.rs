//! `polycart healthcheck [--url URL]`: asks a running server's `/healthz` and exits 0
//! when it answers 200 — what a container's `HEALTHCHECK` runs, so the image needs no
//! curl.

use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's health endpoint.
    #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
    pub url: String,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub timeout: u64,
}

pub async fn run(args: &Args) -> Result<String, String> {
    let url: url::Url = args
        .url
        .parse()
        .map_err(|e| format!("--url {:?}: {e}", args.url))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("--url {url}: not an http(s) URL"));
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout))
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if response.status().is_success() {
        Ok(format!("{url}: {}", response.status()))
    } else {
        Err(format!("{url}: {}", response.status()))
    }
}
