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
    #[error(
        "the new secret key is the current one or one of the previous ones: rotate to a fresh key"
    )]
    KeyReused,
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

/// One master secret's subkeys.
struct Keys {
    /// The master, base64url, kept only to write the key file again after a rotation.
    encoded: SecretString,
    token_key: Hmac<Sha256>,
    audit_key: Hmac<Sha256>,
    sealer: ChaCha20Poly1305,
}

impl Keys {
    fn from_encoded(encoded: &str) -> Result<Self, Error> {
        let master = URL_SAFE_NO_PAD
            .decode(encoded.trim())
            .map_err(|_| Error::BadMasterKey)?;
        let master: [u8; MASTER_LEN] = master.try_into().map_err(|_| Error::BadMasterKey)?;
        Ok(Self::from_master(&master))
    }

    fn from_master(master: &[u8; MASTER_LEN]) -> Self {
        let hmac = |label: &[u8]| {
            Hmac::<Sha256>::new_from_slice(&derive(master, label))
                .expect("HMAC takes keys of any length")
        };
        Self {
            encoded: SecretString::from(URL_SAFE_NO_PAD.encode(master)),
            token_key: hmac(b"token-hash-v1"),
            audit_key: hmac(b"audit-chain-v1"),
            sealer: ChaCha20Poly1305::new(&derive(master, b"credential-seal-v1").into()),
        }
    }

    fn token_hash(&self, token: &str) -> TokenHash {
        let mut mac = self.token_key.clone();
        mac.update(token.as_bytes());
        TokenHash(mac.finalize().into_bytes().into())
    }

    fn open(&self, nonce: &[u8; NONCE_LEN], body: &[u8], context: &str) -> Option<Vec<u8>> {
        let payload = Payload {
            msg: body,
            aad: context.as_bytes(),
        };
        self.sealer.decrypt(&Nonce::from(*nonce), payload).ok()
    }
}

/// The gateway's keys, derived once at start-up: the current master secret's, which seal and
/// hash everything new, and those of the masters it replaced ("previous" keys), kept after a
/// rotation only to open, find and verify what they sealed, hashed and chained before it.
pub struct Keyring {
    current: Keys,
    previous: Vec<Keys>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keyring(..)")
    }
}

impl Keyring {
    /// Uses the configured key (with the configured previous ones), else the keys in
    /// `data_dir/secret.key`, creating it (mode 0600) on first run so a single-node install
    /// needs no setup. The file holds one key a line: the current one first, then the
    /// previous ones; `#` starts a comment.
    pub fn load_or_create(
        configured: Option<&SecretString>,
        previous: &[SecretString],
        data_dir: &Path,
    ) -> Result<Self, Error> {
        let mut ring = match configured {
            Some(key) => Self::from_encoded(key.expose_secret())?,
            None => Self::from_key_file(data_dir)?,
        };
        for key in previous {
            ring.previous.push(Keys::from_encoded(key.expose_secret())?);
        }
        Ok(ring)
    }

    fn from_key_file(data_dir: &Path) -> Result<Self, Error> {
        let path = data_dir.join(SECRET_FILE);
        let key_file = |source| Error::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_lines(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let encoded = URL_SAFE_NO_PAD.encode(random_bytes::<MASTER_LEN>()?);
                std::fs::create_dir_all(data_dir).map_err(key_file)?;
                write_private(&path, &encoded).map_err(key_file)?;
                Self::from_encoded(&encoded)
            }
            Err(e) => Err(key_file(e)),
        }
    }

    fn from_lines(text: &str) -> Result<Self, Error> {
        let mut keys = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default().trim())
            .filter(|line| !line.is_empty())
            .map(Keys::from_encoded);
        let current = keys.next().ok_or(Error::BadMasterKey)??;
        let previous = keys.collect::<Result<_, _>>()?;
        Ok(Self { current, previous })
    }

    pub fn from_encoded(encoded: &str) -> Result<Self, Error> {
        Ok(Self {
            current: Keys::from_encoded(encoded)?,
            previous: Vec::new(),
        })
    }

    /// A fresh master key, base64url-encoded, for `GATEWAY_SECRET_KEY`.
    pub fn generate_encoded() -> Result<String, Error> {
        Ok(URL_SAFE_NO_PAD.encode(random_bytes::<MASTER_LEN>()?))
    }

    /// This ring after a rotation to `next`: `next` seals and hashes from then on, and every
    /// key of this ring becomes a previous one (the newest first).
    pub fn rotated_to(&self, next: &str) -> Result<Self, Error> {
        let current = Keys::from_encoded(next)?;
        let mut previous = Vec::with_capacity(self.previous.len() + 1);
        for keys in std::iter::once(&self.current).chain(&self.previous) {
            if keys.encoded.expose_secret() == current.encoded.expose_secret() {
                return Err(Error::KeyReused);
            }
            previous.push(Keys::from_encoded(keys.encoded.expose_secret())?);
        }
        Ok(Self { current, previous })
    }

    /// Writes the ring to `data_dir/secret.key` (current key first), replacing the file in
    /// one rename so that a crash leaves either the old file or the new one, never half.
    pub fn write_key_file(&self, data_dir: &Path) -> Result<(), Error> {
        let path = data_dir.join(SECRET_FILE);
        let fresh = data_dir.join(format!("{SECRET_FILE}.new"));
        let key_file = |source| Error::KeyFile {
            path: path.display().to_string(),
            source,
        };
        let mut text = String::from(
            "# odoo-mcp-gateway secret key: the current one first, then the previous ones\n",
        );
        for keys in std::iter::once(&self.current).chain(&self.previous) {
            text.push_str(keys.encoded.expose_secret());
            text.push('\n');
        }
        match std::fs::remove_file(&fresh) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(key_file(e)),
            _ => {}
        }
        write_private(&fresh, &text).map_err(key_file)?;
        std::fs::File::open(&fresh)
            .and_then(|f| f.sync_all())
            .map_err(key_file)?;
        std::fs::rename(&fresh, &path).map_err(key_file)?;
        std::fs::File::open(data_dir)
            .and_then(|d| d.sync_all())
            .map_err(key_file)
    }

    /// How many previous keys the ring holds.
    pub fn previous_keys(&self) -> usize {
        self.previous.len()
    }

    /// The key new audit entries are chained under (its own derivation of the master key, so
    /// the chain's hashes say nothing about token hashes).
    pub fn audit_chain_key(&self) -> Hmac<Sha256> {
        self.current.audit_key.clone()
    }

    /// Every key a chain may have been written under, the current one first.
    pub fn audit_chain_keys(&self) -> Vec<Hmac<Sha256>> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .map(|keys| keys.audit_key.clone())
            .collect()
    }

    pub fn token_hash(&self, token: &str) -> TokenHash {
        self.current.token_hash(token)
    }

    /// The hashes `token` has under the previous keys, newest first: where a long-lived
    /// credential issued before a rotation is still filed. Empty until a rotation.
    pub fn previous_token_hashes<'a>(
        &'a self,
        token: &'a str,
    ) -> impl Iterator<Item = TokenHash> + 'a {
        self.previous.iter().map(move |k| k.token_hash(token))
    }

    /// The hash of `token` under the current key, then under each previous key.
    pub fn token_hashes<'a>(&'a self, token: &'a str) -> impl Iterator<Item = TokenHash> + 'a {
        std::iter::once(self.token_hash(token)).chain(self.previous_token_hashes(token))
    }

    /// Whether `given` is the keyed hash of `text` under the current key or a previous one: a
    /// MAC or binding made before a secret-key rotation still checks after it.
    pub fn verifies(&self, text: &str, given: &[u8]) -> bool {
        self.token_hashes(text).any(|h| h.ct_eq(given))
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
            .current
            .sealer
            .encrypt(&nonce, payload)
            .map_err(|_| Error::Random)?;
        Ok([nonce_bytes.as_slice(), &sealed].concat())
    }

    /// Opens what this ring's current key, or one of its previous keys, sealed.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<SecretString, Error> {
        if sealed.len() < NONCE_LEN {
            return Err(Error::Unseal);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::Unseal)?;
        let plain = std::iter::once(&self.current)
            .chain(&self.previous)
            .find_map(|keys| keys.open(&nonce, body, context))
            .ok_or(Error::Unseal)?;
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
        Keyring {
            current: Keys::from_master(&[7u8; 32]),
            previous: Vec::new(),
        }
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
        assert_ne!(
            a,
            Keyring {
                current: Keys::from_master(&[8u8; 32]),
                previous: Vec::new()
            }
            .token_hash("omg_x")
        );
        assert!(a.ct_eq(&a.0));
        assert!(!a.ct_eq(&[0u8; 32]));
    }

    #[test]
    fn the_key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keyring::load_or_create(None, &[], dir.path()).unwrap();
        let again = Keyring::load_or_create(None, &[], dir.path()).unwrap();
        assert_eq!(first.token_hash("t"), again.token_hash("t"));
    }

    #[test]
    fn a_malformed_configured_key_is_refused() {
        let bad = SecretString::from("short");
        assert!(matches!(
            Keyring::load_or_create(Some(&bad), &[], Path::new("/nonexistent")),
            Err(Error::BadMasterKey)
        ));
    }

    #[test]
    fn a_rotated_ring_opens_and_finds_what_the_old_key_sealed_and_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let old = Keyring::load_or_create(None, &[], dir.path()).unwrap();
        let sealed = old.seal(&SecretString::from("hunter2"), "demo").unwrap();
        let old_hash = old.token_hash("omg_x");

        let next = Keyring::generate_encoded().unwrap();
        let ring = old.rotated_to(&next).unwrap();
        ring.write_key_file(dir.path()).unwrap();
        let ring = Keyring::load_or_create(None, &[], dir.path()).unwrap();

        assert_eq!(ring.previous_keys(), 1);
        assert_eq!(
            ring.token_hash("omg_x"),
            Keyring::from_encoded(&next).unwrap().token_hash("omg_x")
        );
        assert_ne!(ring.token_hash("omg_x"), old_hash);
        assert_eq!(
            ring.previous_token_hashes("omg_x").collect::<Vec<_>>(),
            vec![old_hash.clone()]
        );
        assert!(
            ring.verifies("omg_x", &old_hash.0)
                && ring.verifies("omg_x", &ring.token_hash("omg_x").0)
        );
        assert!(!old.verifies("omg_x", &ring.token_hash("omg_x").0));
        assert_eq!(ring.token_hashes("omg_x").nth(1), Some(old_hash));
        assert_eq!(
            ring.open(&sealed, "demo").unwrap().expose_secret(),
            "hunter2"
        );
        // What the new ring seals, the old key alone cannot open.
        let resealed = ring.seal(&SecretString::from("hunter2"), "demo").unwrap();
        assert!(matches!(old.open(&resealed, "demo"), Err(Error::Unseal)));
        assert_eq!(ring.audit_chain_keys().len(), 2);
        assert!(!dir.path().join("secret.key.new").exists());
    }

    #[test]
    fn rotating_to_a_key_the_ring_already_holds_is_refused() {
        let first = Keyring::generate_encoded().unwrap();
        let second = Keyring::generate_encoded().unwrap();
        let ring = Keyring::from_encoded(&first)
            .unwrap()
            .rotated_to(&second)
            .unwrap();
        assert!(matches!(ring.rotated_to(&first), Err(Error::KeyReused)));
        assert!(matches!(ring.rotated_to(&second), Err(Error::KeyReused)));
        assert!(matches!(ring.rotated_to("short"), Err(Error::BadMasterKey)));
    }

    #[test]
    fn the_key_file_takes_comments_and_previous_keys_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            Keyring::generate_encoded().unwrap(),
            Keyring::generate_encoded().unwrap(),
        );
        std::fs::write(
            dir.path().join("secret.key"),
            format!("# mine\n{a}  # current\n\n"),
        )
        .unwrap();
        let previous = [SecretString::from(b.clone())];
        let ring = Keyring::load_or_create(None, &previous, dir.path()).unwrap();
        assert_eq!(ring.previous_keys(), 1);
        assert_eq!(
            ring.token_hash("t"),
            Keyring::from_encoded(&a).unwrap().token_hash("t")
        );
        assert_eq!(
            ring.previous_token_hashes("t").collect::<Vec<_>>(),
            vec![Keyring::from_encoded(&b).unwrap().token_hash("t")]
        );
        std::fs::write(dir.path().join("secret.key"), "# nothing but a comment\n").unwrap();
        assert!(matches!(
            Keyring::load_or_create(None, &[], dir.path()),
            Err(Error::BadMasterKey)
        ));
    }

    #[test]
    fn debug_output_never_shows_key_material() {
        assert_eq!(format!("{:?}", keyring()), "Keyring(..)");
        assert_eq!(format!("{:?}", keyring().token_hash("t")), "TokenHash(..)");
    }
}
