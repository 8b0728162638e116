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
    let sealed = keyring.seal(secret, login)?;
    let user = NewOdooUser {
        login,
        odoo_uid: identity.uid,
        name: &identity.name,
        protocol: identity.protocol.as_str(),
        secret_sealed: &sealed,
    };
    Ok(store.upsert_odoo_user(&user, now).await?)
}
