//! Server secrets: keyed hashes for API keys and tokens, and sealed (encrypted) Odoo credentials.
//!
//! One 32-byte master secret, from configuration or generated into the data directory on first
//! run, is split into independent subkeys so that a leak of one use never weakens the other.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const MASTER_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const SECRET_FILE: &str = "secret.key";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the secret key must be 32 bytes, base64url-encoded (43 characters)")]
    BadMasterKey,
    #[error("cannot read or create the secret key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("a stored credential could not be decrypted (was the secret key changed?)")]
    Unseal,
    #[error("the operating system's random source failed")]
    Random,
}

/// A keyed SHA-256 of a bearer secret: what the store keeps instead of the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// Equality that takes the same time wherever the first differing byte is.
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        other.len() == 32 && bool::from(self.0.as_slice().ct_eq(other))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// The gateway's keys, derived once at start-up.
pub struct Keyring {
    token_key: Hmac<Sha256>,
    audit_key: Hmac<Sha256>,
    sealer: ChaCha20Poly1305,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keyring(..)")
    }
}

impl Keyring {
    /// Uses the configured key, else the one in `data_dir/secret.key`, creating it (mode 0600)
    /// on first run so a single-node install needs no setup.
    pub fn load_or_create(
        configured: Option<&SecretString>,
        data_dir: &Path,
    ) -> Result<Self, Error> {
        if let Some(key) = configured {
            return Self::from_encoded(key.expose_secret());
        }
        let path = data_dir.join(SECRET_FILE);
        let key_file = |source| Error::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_encoded(text.trim()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let encoded = URL_SAFE_NO_PAD.encode(random_bytes::<MASTER_LEN>()?);
                std::fs::create_dir_all(data_dir).map_err(key_file)?;
                write_private(&path, &encoded).map_err(key_file)?;
                Self::from_encoded(&encoded)
            }
            Err(e) => Err(key_file(e)),
        }
    }

    pub fn from_encoded(encoded: &str) -> Result<Self, Error> {
        let master = URL_SAFE_NO_PAD
            .decode(encoded.trim())
            .map_err(|_| Error::BadMasterKey)?;
        let master: [u8; MASTER_LEN] = master.try_into().map_err(|_| Error::BadMasterKey)?;
        Ok(Self::from_master(&master))
    }

    fn from_master(master: &[u8; MASTER_LEN]) -> Self {
        let token_key = Hmac::<Sha256>::new_from_slice(&derive(master, b"token-hash-v1"))
            .expect("HMAC takes keys of any length");
        let audit_key = Hmac::<Sha256>::new_from_slice(&derive(master, b"audit-chain-v1"))
            .expect("HMAC takes keys of any length");
        let sealer = ChaCha20Poly1305::new(&derive(master, b"credential-seal-v1").into());
        Self {
            token_key,
            audit_key,
            sealer,
        }
    }

    /// A fresh master key, base64url-encoded, for `GATEWAY_SECRET_KEY`.
    pub fn generate_encoded() -> Result<String, Error> {
        Ok(URL_SAFE_NO_PAD.encode(random_bytes::<MASTER_LEN>()?))
    }

    /// The key of the audit log's hash chain (its own derivation of the master key, so the
    /// chain's hashes say nothing about token hashes).
    pub fn audit_chain_key(&self) -> Hmac<Sha256> {
        self.audit_key.clone()
    }

    pub fn token_hash(&self, token: &str) -> TokenHash {
        let mut mac = self.token_key.clone();
        mac.update(token.as_bytes());
        TokenHash(mac.finalize().into_bytes().into())
    }

    /// Encrypts a credential; `context` (e.g. the login) is bound in, so a sealed value copied
    /// onto another row does not open.
    pub fn seal(&self, secret: &SecretString, context: &str) -> Result<Vec<u8>, Error> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let nonce = Nonce::from(nonce_bytes);
        let payload = Payload {
            msg: secret.expose_secret().as_bytes(),
            aad: context.as_bytes(),
        };
        let sealed = self
            .sealer
            .encrypt(&nonce, payload)
            .map_err(|_| Error::Random)?;
        Ok([nonce_bytes.as_slice(), &sealed].concat())
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> Result<SecretString, Error> {
        if sealed.len() < NONCE_LEN {
            return Err(Error::Unseal);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::Unseal)?;
        let payload = Payload {
            msg: body,
            aad: context.as_bytes(),
        };
        let plain = self
            .sealer
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| Error::Unseal)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| Error::Unseal)
    }
}

/// A fresh high-entropy token: `prefix` + 32 random bytes in base64url (256 bits).
pub fn new_token(prefix: &str) -> Result<SecretString, Error> {
    let body = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    Ok(SecretString::from(format!("{prefix}{body}")))
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| Error::Random)?;
    Ok(buf)
}

fn derive(master: &[u8; MASTER_LEN], label: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(master).expect("HMAC takes keys of any length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// Creates `path` (it must not exist) readable by its owner only (0600), holding `contents`.
pub(crate) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring() -> Keyring {
        Keyring::from_master(&[7u8; 32])
    }

    #[test]
    fn sealed_credentials_open_only_in_their_context() {
        let keys = keyring();
        let sealed = keys.seal(&SecretString::from("hunter2"), "demo").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(
            keys.open(&sealed, "demo").unwrap().expose_secret(),
            "hunter2"
        );
        assert!(matches!(keys.open(&sealed, "admin"), Err(Error::Unseal)));
    }

    #[test]
    fn token_hashes_are_keyed_and_stable() {
        let a = keyring().token_hash("omg_x");
        assert_eq!(a, keyring().token_hash("omg_x"));
        assert_ne!(a, Keyring::from_master(&[8u8; 32]).token_hash("omg_x"));
        assert!(a.ct_eq(&a.0));
        assert!(!a.ct_eq(&[0u8; 32]));
    }

    #[test]
    fn the_key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keyring::load_or_create(None, dir.path()).unwrap();
        let again = Keyring::load_or_create(None, dir.path()).unwrap();
        assert_eq!(first.token_hash("t"), again.token_hash("t"));
    }

    #[test]
    fn a_malformed_configured_key_is_refused() {
        let bad = SecretString::from("short");
        assert!(matches!(
            Keyring::load_or_create(Some(&bad), Path::new("/nonexistent")),
            Err(Error::BadMasterKey)
        ));
    }

    #[test]
    fn debug_output_never_shows_key_material() {
        assert_eq!(format!("{:?}", keyring()), "Keyring(..)");
        assert_eq!(format!("{:?}", keyring().token_hash("t")), "TokenHash(..)");
    }
}
