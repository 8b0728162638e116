//! Each tool's argument type, written once: from this one table come the [`Tool`] names the
//! catalog refers to, the input schema each tool shows, and the typed [`Call`] its arguments
//! parse into. A tool added here and nowhere else does not compile (the catalog and the
//! runners match on these enums exhaustively).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use rmcp::model::JsonObject;
use serde_json::{Map, Value};

use super::{args, schema};

/// Arguments that do not parse into the tool's type; the message names the argument at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadArguments(pub String);

macro_rules! tools {
    ($($tool:ident($args:ty)),* $(,)?) => {
        /// Every tool of the catalog.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Tool {
            $($tool),*
        }

        /// A tool call whose arguments parsed into its tool's type.
        #[derive(Debug)]
        pub enum Call {
            $($tool($args)),*
        }

        impl Tool {
            /// The input schema: the JSON Schema of the argument type, made portable. Derived
            /// once per process, as `tools/list` asks for every schema on every call.
            pub fn schema(self) -> Arc<JsonObject> {
                static SCHEMAS: LazyLock<HashMap<Tool, Arc<JsonObject>>> = LazyLock::new(|| {
                    HashMap::from([$((Tool::$tool, schema::of::<$args>())),*])
                });
                SCHEMAS[&self].clone()
            }

            /// Parses `arguments` into this tool's type (unknown keys refused).
            pub fn parse(self, arguments: Map<String, Value>) -> Result<Call, BadArguments> {
                Ok(match self {
                    $(Self::$tool => Call::$tool(parse(arguments)?)),*
                })
            }
        }
    };
}

tools! {
    GetCurrentContext(args::NoArgs),
    ListModels(args::ListModels),
    DescribeModel(args::DescribeModel),
    SearchRecords(args::SearchRecords),
    GetRecord(args::GetRecord),
    CountRecords(args::CountRecords),
    AggregateRecords(args::AggregateRecords),
    CreateRecord(args::CreateRecord),
    UpdateRecord(args::UpdateRecord),
    DeleteRecord(args::DeleteRecord),
    ExecuteMethod(args::ExecuteMethod),
    GetApprovalStatus(args::GetApprovalStatus),
}

fn parse<T: serde::de::DeserializeOwned>(arguments: Map<String, Value>) -> Result<T, BadArguments> {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        let Value::Object(map) = value else { panic!() };
        map
    }

    #[test]
    fn arguments_parse_into_their_tools_type_or_name_the_fault() {
        let call = Tool::CountRecords
            .parse(object(json!({"model": "res.partner"})))
            .unwrap();
        assert!(matches!(call, Call::CountRecords(a) if a.model == "res.partner"));
        let bad = Tool::CreateRecord
            .parse(object(
                json!({"model": "res.partner", "values": {}, "dry_run": 1}),
            ))
            .unwrap_err();
        assert!(
            bad.0.starts_with("dry_run: invalid type: integer `1`"),
            "{bad}"
        );
        let unknown = Tool::GetCurrentContext
            .parse(object(json!({"x": 1})))
            .unwrap_err();
        assert!(unknown.0.contains("unknown field `x`"), "{unknown}");
    }
}
