//! Credentials at rest: AES-256-GCM with a key from `POLYCART_SECRET_KEY`, a fresh
//! random nonce per value, stored as `nonce || ciphertext`. Each value is bound (as
//! associated data) to what it belongs to: a store's credentials to its id, platform
//! and URL, a subscription's secret to its id and URL. Copied to another row, or left
//! under a URL rewritten in the database, a sealed value no longer opens, so the
//! database alone cannot send a store's token to another host.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;

use super::{Error, Result};

/// The environment variable holding the 32-byte key (64 hex digits or base64).
pub const KEY_ENV: &str = "POLYCART_SECRET_KEY";

const NONCE_LEN: usize = 12;

/// Encrypts and decrypts stored secrets.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(**REDACTED**)")
    }
}

impl Cipher {
    /// A cipher from a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            aead: Aes256Gcm::new(key.into()),
        }
    }

    /// Reads a key written as 64 hex digits or as base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<std::result::Result<Vec<u8>, _>>()
                .map_err(|_| Error::Invalid("POLYCART_SECRET_KEY is not hex".into()))?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| {
                    Error::Invalid("POLYCART_SECRET_KEY is neither 64 hex digits nor base64".into())
                })?
        };
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Invalid("POLYCART_SECRET_KEY must be 32 bytes".into()))?;
        Ok(Self::new(&key))
    }

    /// The key from `POLYCART_SECRET_KEY`, if set.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var(KEY_ENV) {
            Ok(text) if !text.trim().is_empty() => Self::parse(&text).map(Some),
            _ => Ok(None),
        }
    }

    /// Seals `plaintext` bound to `context` (see [`store_context`]).
    pub fn encrypt(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        use rand::RngCore;
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value sealed with the same key and `context`.
    pub fn decrypt(&self, stored: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        if stored.len() < NONCE_LEN {
            return Err(Error::Decrypt);
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        self.aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context,
                },
            )
            .map_err(|_| Error::Decrypt)
    }
}

/// What a store's credentials are sealed to.
pub(crate) fn store_context(id: &str, platform: &str, base_url: &str) -> Vec<u8> {
    format!("polycart store credentials\0{id}\0{platform}\0{base_url}").into_bytes()
}

/// What a subscription's secret is sealed to.
pub(crate) fn subscription_context(id: &str, url: &str) -> Vec<u8> {
    format!("polycart subscription secret\0{id}\0{url}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_a_wrong_key() {
        let a = Cipher::parse(&"ab".repeat(32)).unwrap();
        let b =
            Cipher::parse(&base64::engine::general_purpose::STANDARD.encode([7u8; 32])).unwrap();
        let here = store_context("st_1", "shopify", "https://a.example.com/");
        let sealed = a.encrypt(b"token", &here);
        assert_ne!(&sealed[NONCE_LEN..], b"token");
        assert_eq!(a.decrypt(&sealed, &here).unwrap(), b"token");
        assert!(matches!(b.decrypt(&sealed, &here), Err(Error::Decrypt)));
        for elsewhere in [
            store_context("st_2", "shopify", "https://a.example.com/"),
            store_context("st_1", "shopify", "https://evil.example.com/"),
            subscription_context("st_1", "https://a.example.com/"),
        ] {
            assert!(matches!(
                a.decrypt(&sealed, &elsewhere),
                Err(Error::Decrypt)
            ));
        }
        assert!(Cipher::parse("short").is_err());
    }
}
