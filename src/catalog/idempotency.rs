//! Retry-safe writes: every tool that changes Odoo takes an optional `idempotency_key`, under
//! which the gateway keeps the first call's answer for 24 hours (see `calls::once`).

use std::sync::Arc;

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::parse::{BadArguments, parse};
use super::schema;

const MAX_CHARS: usize = 200;
const KEY: &str = "idempotency_key";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct KeyArgs {
    // Said once per write tool in every tools/list, so short: the instructions say more.
    /// Makes a retry safe (e.g. a UUID; 1–200 characters, no spaces): see instructions.
    idempotency_key: Option<String>,
}

/// An idempotency key as a client chose it: 1–200 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn new(key: &str) -> Result<Self, String> {
        if key.is_empty() || key.len() > MAX_CHARS {
            return Err(format!("idempotency_key: 1 to {MAX_CHARS} characters"));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("idempotency_key: letters, digits and punctuation only (no spaces)".into());
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Takes `idempotency_key` out of a call's arguments and checks it.
pub(super) fn take(
    arguments: &mut Map<String, Value>,
) -> Result<Option<IdempotencyKey>, BadArguments> {
    let Some(given) = arguments.remove(KEY) else {
        return Ok(None);
    };
    let args: KeyArgs = parse(Map::from_iter([(KEY.to_owned(), given)]))?;
    args.idempotency_key
        .map(|key| IdempotencyKey::new(&key).map_err(BadArguments))
        .transpose()
}

/// `schema` with the `idempotency_key` property added.
pub(super) fn with_key(schema: Arc<JsonObject>) -> Arc<JsonObject> {
    schema::with_properties_of::<KeyArgs>(schema)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn taken(value: Value) -> Result<Option<IdempotencyKey>, BadArguments> {
        let Value::Object(mut map) = value else {
            panic!()
        };
        let taken = take(&mut map);
        assert!(!map.contains_key(KEY));
        taken
    }

    #[test]
    fn a_key_is_taken_out_and_checked() {
        assert_eq!(
            taken(json!({"idempotency_key": "order-42"}))
                .unwrap()
                .unwrap()
                .as_str(),
            "order-42"
        );
        assert_eq!(taken(json!({"model": "x"})).unwrap(), None);
        assert_eq!(taken(json!({"idempotency_key": null})).unwrap(), None);
        for (bad, says) in [
            (json!({"idempotency_key": ""}), "1 to 200 characters"),
            (json!({"idempotency_key": "a b"}), "no spaces"),
            (json!({"idempotency_key": "é"}), "no spaces"),
            (json!({"idempotency_key": 7}), "invalid type: integer"),
            (json!({"idempotency_key": "k".repeat(201)}), "1 to 200"),
        ] {
            let message = taken(bad.clone()).unwrap_err().0;
            assert!(message.contains(says), "{bad}: {message}");
        }
    }
}
