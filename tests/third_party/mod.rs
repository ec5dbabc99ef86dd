//! What the third-party client tests need around a simulator: a Python virtualenv with
//! the pinned SDKs of `requirements.txt` (made once under the cargo target dir and
//! kept while the pins are unchanged), running one of the scripts beside this file
//! and reading its JSON answer, and a local TLS endpoint for an SDK that speaks only
//! https (a throwaway CA whose certificate the SDK is told to trust).
//!
//! PyPI unreachable is a skip with a printed reason, except under `CI=true`, where it
//! fails like any other problem.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/third_party")
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// What pip says when it cannot reach the index at all.
const UNREACHABLE: &[&str] = &[
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "Could not fetch URL",
];

/// The virtualenv's python, made on first use; `None` (after printing why) when PyPI
/// cannot be reached outside CI.
pub(crate) fn python() -> Option<PathBuf> {
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match VENV.get_or_init(make_venv) {
        Ok(python) => Some(python.clone()),
        Err(reason) if !under_ci() => {
            println!("skipped: {reason}");
            None
        }
        Err(reason) => panic!("{reason} (CI=true: the third-party client tests must run)"),
    }
}

/// Creates (or reuses) the virtualenv for the current pins. Panics on anything but an
/// unreachable index; returns `Err` for that.
fn make_venv() -> Result<PathBuf, String> {
    let requirements = here().join("requirements.txt");
    let pins = std::fs::read_to_string(&requirements).expect("requirements.txt is readable");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("third-party-venv");
    let python = dir.join("bin/python");
    let stamp = dir.join("polycart-pins.txt");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == pins) && python.exists() {
        return Ok(python);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&dir)
        .output()
        .expect("python3 runs");
    assert!(
        made.status.success(),
        "python3 -m venv failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let pip = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "--timeout",
            "20",
            "--retries",
            "2",
            "-r",
        ])
        .arg(&requirements)
        .output()
        .expect("pip runs");
    if !pip.status.success() {
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&pip.stdout),
            String::from_utf8_lossy(&pip.stderr)
        );
        if UNREACHABLE.iter().any(|s| said.contains(s)) {
            return Err(format!("PyPI is unreachable: {}", said.trim()));
        }
        panic!("pip install -r requirements.txt failed: {said}");
    }
    std::fs::write(&stamp, pins).expect("the venv's stamp is writable");
    Ok(python)
}

/// Runs `script` (a file beside this one) with `config` as its one argument and
/// `env` added, without blocking the simulator's runtime; its stdout's JSON.
pub(crate) async fn run(
    python: &Path,
    script: &str,
    config: &Value,
    env: &[(&str, String)],
) -> Value {
    let mut command = Command::new(python);
    command.arg(here().join(script)).arg(config.to_string());
    for (k, v) in env {
        command.env(k, v);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the script's thread")
        .expect("the script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{}\n{stdout}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{script}: {e}: {stdout}"))
}

/// An https endpoint on 127.0.0.1 that hands every connection to `upstream` (a
/// simulator over http), with a certificate from a CA made for it; the CA's PEM file
/// is for the client to trust.
pub(crate) struct TlsFront {
    pub(crate) addr: SocketAddr,
    pub(crate) ca_file: tempfile::NamedTempFile,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsFront {
    pub(crate) async fn start(upstream: SocketAddr) -> TlsFront {
        let ca_key = rcgen::KeyPair::generate().expect("a CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "polycart test CA");
        let ca = ca_params.self_signed(&ca_key).expect("a CA certificate");
        let key = rcgen::KeyPair::generate().expect("a server key");
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("server params");
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let cert = params
            .signed_by(&key, &issuer)
            .expect("a server certificate");

        let mut ca_file = tempfile::NamedTempFile::new().expect("a temp file");
        ca_file
            .write_all(ca.pem().as_bytes())
            .expect("the CA is written");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .expect("a TLS config");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let (Ok(mut tls), Ok(mut plain)) = (
                        acceptor.accept(socket).await,
                        TcpStream::connect(upstream).await,
                    ) else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront {
            addr,
            ca_file,
            task,
        }
    }
}
