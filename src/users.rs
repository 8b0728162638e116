//! Linked Odoo users: a login whose password or API key the gateway verified against Odoo and
//! holds sealed, so connections can act as that user. The CLI's `user link`, the console
//! sign-in and OAuth consent all link through [`link`].

use secrecy::SecretString;

use crate::clock::Millis;
use crate::notify;
use crate::odoo::{self, OdooClient};
use crate::secrets::{self, Keyring};
use crate::store::{self, NewOdooUser, OdooUserRow, Store};
pub use crate::values::Role;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Odoo refused the login or the password/API key for '{0}'")]
    Rejected(String),
    #[error("a login is required")]
    EmptyLogin,
    #[error("a password or API key is required")]
    EmptySecret,
    #[error("could not verify the credential with Odoo: {}", odoo_reason(.0))]
    Odoo(odoo::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Secrets(#[from] secrets::Error),
    #[error("the stored protocol of a linked user is unreadable: {0}")]
    StoredProtocol(#[from] odoo::UnknownProtocol),
    #[error(
        "a linked user's credential changed while it was being encrypted anew (is a gateway \
         running?): nothing was changed; stop every gateway and run the command again"
    )]
    ChangedMeanwhile,
}

/// Odoo's own message when Odoo answered; the transport details otherwise (for the CLI and the
/// log, never an AI client).
fn odoo_reason(error: &odoo::Error) -> String {
    match error {
        odoo::Error::Odoo { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Verifies `login` + `secret` against Odoo and stores the credential sealed. Linking again
/// replaces the stored credential (e.g. after a password change) and keeps connections bound.
pub async fn link(
    store: &Store,
    keyring: &Keyring,
    odoo: &OdooClient,
    login: &str,
    secret: &SecretString,
    now: Millis,
) -> Result<OdooUserRow, Error> {
    let verified = verify(odoo, login, secret).await?;
    remember(store, keyring, &verified, secret, now).await
}

/// A credential Odoo accepted, not stored yet.
pub struct Verified {
    pub login: String,
    pub identity: odoo::Identity,
}

/// Asks Odoo whether `login` + `secret` is valid, storing nothing.
pub async fn verify(
    odoo: &OdooClient,
    login: &str,
    secret: &SecretString,
) -> Result<Verified, Error> {
    use secrecy::ExposeSecret;
    let login = login.trim();
    if login.is_empty() {
        return Err(Error::EmptyLogin);
    }
    if secret.expose_secret().is_empty() {
        return Err(Error::EmptySecret);
    }
    let identity = odoo
        .authenticate(login, secret)
        .await
        .map_err(|e| match e.kind() {
            Some(odoo::ErrorKind::AccessDenied) => Error::Rejected(login.to_owned()),
            _ => Error::Odoo(e),
        })?;
    Ok(Verified {
        login: login.to_owned(),
        identity,
    })
}

/// What a linked secret is. Only the two kinds matter: an API key can be revoked on its own and
/// serves JSON-2; a password is the person's whole account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Password,
    ApiKey,
}

impl SecretKind {
    /// A secret JSON-2 took is an API key (JSON-2 refuses passwords); otherwise an API key is
    /// recognised by its shape: Odoo makes every key from 20 random bytes as 40 lowercase hex
    /// digits. A password of that exact shape is taken for a key, which errs on the safe side
    /// of [`SecretKind::may_replace`].
    pub fn of(secret: &SecretString, protocol: odoo::Protocol) -> Self {
        use secrecy::ExposeSecret;
        let text = secret.expose_secret();
        let key_shaped = text.len() == 40
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if protocol == odoo::Protocol::Json2 || key_shaped {
            Self::ApiKey
        } else {
            Self::Password
        }
    }

    /// Whether a sign-in with a secret of kind `new` may replace a stored one of this kind:
    /// anything but an API key traded for a password (which would also move a JSON-2 user to
    /// JSON-RPC and store the account password instead of a revocable key).
    pub fn may_replace(self, new: SecretKind) -> bool {
        !(self == Self::ApiKey && new == Self::Password)
    }
}

/// Stores the credential of a sign-in (console or OAuth consent) unless that would downgrade
/// the one already linked (see [`SecretKind::may_replace`]); then the stored one stays and is
/// returned as it is. `user link` is the deliberate way to replace a key by a password.
pub async fn remember_sign_in(
    store: &Store,
    keyring: &Keyring,
    verified: &Verified,
    secret: &SecretString,
    now: Millis,
) -> Result<OdooUserRow, Error> {
    if let Some(stored) = store.find_odoo_user(&verified.login).await? {
        let stored_secret = keyring.open(&stored.secret_sealed, &stored.login)?;
        let stored_kind =
            SecretKind::of(&stored_secret, stored.protocol.parse::<odoo::Protocol>()?);
        let new_kind = SecretKind::of(secret, verified.identity.protocol);
        if !stored_kind.may_replace(new_kind) {
            tracing::info!(login = %stored.login, "sign-in kept the linked API key");
            return Ok(stored);
        }
    }
    remember(store, keyring, verified, secret, now).await
}

/// Stores a verified credential sealed (or replaces the one stored for that login).
pub async fn remember(
    store: &Store,
    keyring: &Keyring,
    verified: &Verified,
    secret: &SecretString,
    now: Millis,
) -> Result<OdooUserRow, Error> {
    let sealed = keyring.seal(secret, &verified.login)?;
    let user = NewOdooUser {
        login: &verified.login,
        odoo_uid: verified.identity.uid,
        name: &verified.identity.name,
        protocol: verified.identity.protocol.as_str(),
        secret_sealed: &sealed,
    };
    Ok(store.upsert_odoo_user(&user, now).await?)
}

/// What a secret-key rotation did to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resealed {
    pub credentials: usize,
    /// Whether a notification webhook secret was sealed anew too.
    pub webhook_secret: bool,
    pub sessions_signed_out: u64,
}

/// Seals every linked user's credential anew under `next`'s current key (opening it with
/// `current`'s keys), all or nothing, and signs every console session out: their cookies are
/// found by hashes under the old key, and a rotation is the moment to start them over.
pub async fn reseal_all(
    store: &Store,
    current: &Keyring,
    next: &Keyring,
) -> Result<Resealed, Error> {
    let users = store.list_odoo_users().await?;
    let mut changes = Vec::with_capacity(users.len());
    for user in &users {
        let secret = current.open(&user.secret_sealed, &user.login)?;
        changes.push((
            user.id,
            user.secret_sealed.as_slice(),
            next.seal(&secret, &user.login)?,
        ));
    }
    let stored_secret = store
        .load_settings()
        .await?
        .into_iter()
        .find_map(|(name, value)| (name == notify::SECRET_SETTING).then_some(value));
    let webhook = match &stored_secret {
        Some(stored) => Some(notify::reseal(stored, current, next)?),
        None => None,
    };
    let setting = webhook
        .as_ref()
        .map(|(stored, resealed)| (notify::SECRET_SETTING, stored.as_str(), resealed.as_str()));
    match store.reseal_credentials(&changes, setting).await? {
        Some(sessions_signed_out) => Ok(Resealed {
            credentials: changes.len(),
            webhook_secret: webhook.is_some(),
            sessions_signed_out,
        }),
        None => Err(Error::ChangedMeanwhile),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use odoo::Protocol;

    #[test]
    fn api_keys_are_told_from_passwords() {
        let key = SecretString::from("0123456789abcdef0123456789abcdef01234567");
        assert_eq!(SecretKind::of(&key, Protocol::JsonRpc), SecretKind::ApiKey);
        let password = SecretString::from("correct horse battery staple");
        assert_eq!(
            SecretKind::of(&password, Protocol::JsonRpc),
            SecretKind::Password
        );
        // JSON-2 takes API keys only, whatever they look like.
        assert_eq!(
            SecretKind::of(&password, Protocol::Json2),
            SecretKind::ApiKey
        );
        let upper = SecretString::from("0123456789ABCDEF0123456789ABCDEF01234567");
        assert_eq!(
            SecretKind::of(&upper, Protocol::JsonRpc),
            SecretKind::Password
        );
    }

    #[test]
    fn a_sign_in_never_trades_a_key_for_a_password() {
        use SecretKind::{ApiKey, Password};
        assert!(!ApiKey.may_replace(Password));
        assert!(ApiKey.may_replace(ApiKey));
        assert!(Password.may_replace(ApiKey));
        assert!(Password.may_replace(Password));
    }
}
