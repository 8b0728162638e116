//! The known-device cookie: after a successful sign-in the browser gets a cookie signed with the
//! gateway's key, naming (by MAC only) the login and when it was issued. A sign-in attempt for
//! that login carrying it is exempt from its address's lock, so a password spray from a shared
//! office address does not lock out the people who already work from there. The per-login
//! limit still applies to it (the cookie proves a past sign-in, not the password).

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::clock::{DAY_MS, Millis};
use crate::secrets::{Keyring, TokenHash};
use crate::state::AppState;
use crate::web::session;

pub const COOKIE: &str = "omg_known_device";
/// How long a browser stays known after its last sign-in.
pub const TTL: Millis = 90 * DAY_MS;
/// Only the sign-in form needs it.
const PATH: &str = "/console/login";

/// What the cookie's MAC covers; prefixed, so it can never equal the hash of a bearer token.
fn signed_text(login: &str, issued: Millis) -> String {
    format!("known-device\n{}\n{issued}", login.to_lowercase())
}

fn mac(keyring: &Keyring, login: &str, issued: Millis) -> TokenHash {
    keyring.token_hash(&signed_text(login, issued))
}

/// The `Set-Cookie` value marking this browser as known for `login`.
pub fn issue(state: &AppState, login: &str, now: Millis) -> String {
    let value = format!(
        "{now}.{}",
        URL_SAFE_NO_PAD.encode(mac(&state.keyring, login, now).0)
    );
    session::set_cookie(state, COOKIE, &value, PATH, TTL / 1000)
}

/// Whether the request carries a valid, unexpired known-device cookie for `login`.
pub fn vouches_for(keyring: &Keyring, headers: &HeaderMap, login: &str, now: Millis) -> bool {
    let Some((issued, given)) = session::cookie(headers, COOKIE).and_then(|v| v.split_once('.'))
    else {
        return false;
    };
    let Ok(issued) = issued.parse::<Millis>() else {
        return false;
    };
    let Ok(given) = URL_SAFE_NO_PAD.decode(given) else {
        return false;
    };
    let fresh = issued <= now && now - issued < TTL;
    fresh && keyring.verifies(&signed_text(login, issued), &given)
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, header};

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{COOKIE}={value}")).unwrap(),
        );
        h
    }

    #[test]
    fn a_cookie_vouches_for_its_own_login_until_it_expires() {
        let keyring = Keyring::from_encoded(&Keyring::generate_encoded().unwrap()).unwrap();
        let encode = |issued| URL_SAFE_NO_PAD.encode(mac(&keyring, "Admin", issued).0);
        let value = format!("1000.{}", encode(1000));
        let h = headers(&value);
        assert!(vouches_for(&keyring, &h, "admin", 2000));
        assert!(!vouches_for(&keyring, &h, "demo", 2000), "another login");
        assert!(!vouches_for(&keyring, &h, "admin", 1000 + TTL), "expired");
        assert!(
            !vouches_for(&keyring, &h, "admin", 999),
            "issued in the future"
        );
        let forged = format!("5000.{}", encode(1000));
        assert!(!vouches_for(&keyring, &headers(&forged), "admin", 6000));
        assert!(!vouches_for(&keyring, &headers("garbage"), "admin", 2000));
        assert!(!vouches_for(&keyring, &HeaderMap::new(), "admin", 2000));
    }
}
