//! A tool's arguments parsed into its type, or the argument at fault named.

use serde_json::{Map, Value};

/// Arguments that do not parse into the tool's type; the message names the argument at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadArguments(pub String);

pub(super) fn parse<T: serde::de::DeserializeOwned>(
    arguments: Map<String, Value>,
) -> Result<T, BadArguments> {
    // The path names the argument at fault: "dry_run: invalid type: integer `1`, expected a
    // boolean", not serde's bare message.
    serde_path_to_error::deserialize(Value::Object(arguments)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        BadArguments(if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        })
    })
}
