//! Linked Odoo users: a login whose password or API key the gateway verified against Odoo and
//! holds sealed, so connections can act as that user. The CLI's `user link`, the console
//! sign-in and OAuth consent all link through [`link`].

use secrecy::SecretString;

use crate::clock::Millis;
use crate::odoo::{self, OdooClient};
use crate::secrets::{self, Keyring};
use crate::store::{self, NewOdooUser, OdooUserRow, Store};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Odoo refused the login or the password/API key for '{0}'")]
    Rejected(String),
    #[error("a login is required")]
    EmptyLogin,
    #[error("a password or API key is required")]
    EmptySecret,
    #[error("could not verify the credential with Odoo: {0}")]
    Odoo(odoo::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Secrets(#[from] secrets::Error),
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
