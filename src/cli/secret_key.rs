//! `generate-secret-key` and `rotate-secret-key`: making the server's master secret, and
//! replacing it without losing linked users, connections or tokens.

use anyhow::bail;
use secrecy::ExposeSecret;

use super::counted;
use crate::config::RotateSecretKeyArgs;
use crate::secrets::Keyring;
use crate::users;

pub(crate) fn generate() -> anyhow::Result<()> {
    println!("{}", Keyring::generate_encoded()?);
    Ok(())
}

/// Rotates to a new key: the key file (when the key lives there) is written first, holding the
/// new key and the old ones, so that whatever happens after it every credential still opens;
/// then every linked user's credential is sealed anew in one transaction.
pub(crate) async fn rotate(args: RotateSecretKeyArgs) -> anyhow::Result<()> {
    let (store, current) = super::open_store(&args.store, false).await?;
    let in_file = args.store.secret_key.is_none();
    let next_key = match (&args.new_secret_key, in_file) {
        (Some(key), _) => key.expose_secret().to_owned(),
        (None, true) => Keyring::generate_encoded()?,
        (None, false) => bail!(
            "the current key comes from --secret-key (GATEWAY_SECRET_KEY): give the new one \
             with --new-secret-key (make one with `generate-secret-key`), so it is in your \
             hands before anything is encrypted under it"
        ),
    };
    let next = current.rotated_to(&next_key)?;
    let key_file = args.store.data_dir.join("secret.key");
    if in_file {
        next.write_key_file(&args.store.data_dir)?;
    }
    let done = users::reseal_all(&store, &current, &next).await?;
    if in_file {
        println!(
            "Rotated the secret key in {}: the new key comes first, {} kept below it.",
            key_file.display(),
            counted(next.previous_keys() as u64, "previous key", "previous keys")
        );
    } else {
        println!(
            "Rotated to the new secret key. Before starting a gateway, set on every replica \
             GATEWAY_SECRET_KEY to the new key and GATEWAY_PREVIOUS_SECRET_KEYS to the key it \
             replaces{}.",
            if current.previous_keys() > 0 {
                ", followed by the previous keys you had"
            } else {
                ""
            }
        );
    }
    println!(
        "Encrypted {} anew under the new key; signed {} out (people sign in again).",
        counted(
            done.credentials as u64,
            "linked user's credential",
            "linked users' credentials"
        ),
        counted(
            done.sessions_signed_out,
            "console session",
            "console sessions"
        )
    );
    if done.webhook_secret {
        println!("Encrypted the notification webhook's signing secret anew (it is unchanged).");
    }
    println!(
        "API keys, OAuth client secrets and tokens issued before now keep working: each moves \
         to the new key when it is next used. Start the gateway again."
    );
    Ok(())
}
