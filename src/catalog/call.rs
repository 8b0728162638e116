//! Each tool's argument type, written once: from this one table come the [`Tool`] names the
//! catalog refers to, the input schema each tool shows, and the typed [`Call`] its arguments
//! parse into. A tool added here and nowhere else does not compile (the catalog and the
//! runners match on these enums exhaustively).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use rmcp::model::JsonObject;
use serde_json::{Map, Value};

use super::company::{self, CompanyIds};
use super::idempotency::{self, IdempotencyKey};
use super::parse::{BadArguments, parse};
use super::{args, output, schema};

macro_rules! tools {
    (@output $tool:ident) => { None };
    (@output $tool:ident $out:ty) => { Some(output::schema::<$out>(Tool::$tool.can_be_held())) };
    ($($tool:ident($args:ty) $(-> $out:ty)?),* $(,)?) => {
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

        /// A call's arguments, parsed: the tool's own, the companies it acts in, and the key
        /// that makes a write retry-safe.
        #[derive(Debug)]
        pub struct Parsed {
            pub call: Call,
            /// `company_id` / `company_ids`, when given.
            pub companies: Option<CompanyIds>,
            /// `idempotency_key`, when given (write tools only).
            pub idempotency_key: Option<IdempotencyKey>,
        }

        impl Tool {
            /// The input schema: the JSON Schema of the argument type, made portable. Derived
            /// once per process, as `tools/list` asks for every schema on every call.
            pub fn schema(self) -> Arc<JsonObject> {
                static SCHEMAS: LazyLock<HashMap<Tool, Arc<JsonObject>>> = LazyLock::new(|| {
                    HashMap::from([$((Tool::$tool, Tool::$tool.described(schema::of::<$args>()))),*])
                });
                SCHEMAS[&self].clone()
            }

            /// The output schema, for the tools whose answer is typed (see [`output`]).
            pub fn output_schema(self) -> Option<Arc<JsonObject>> {
                static OUTPUTS: LazyLock<HashMap<Tool, Option<Arc<JsonObject>>>> =
                    LazyLock::new(|| HashMap::from([$((Tool::$tool, tools!(@output $tool $($out)?))),*]));
                OUTPUTS[&self].clone()
            }

            /// Parses `arguments` into this tool's type (unknown keys refused) and, for a tool
            /// that calls Odoo, the companies it acts in.
            pub fn parse(self, mut arguments: Map<String, Value>) -> Result<Parsed, BadArguments> {
                let companies = if self.calls_odoo() {
                    company::take(&mut arguments)?
                } else {
                    None
                };
                let idempotency_key = if self.writes() {
                    idempotency::take(&mut arguments)?
                } else {
                    None
                };
                let call = match self {
                    $(Self::$tool => Call::$tool(parse(arguments)?)),*
                };
                Ok(Parsed { call, companies, idempotency_key })
            }
        }
    };
}

tools! {
    GetCurrentContext(args::NoArgs) -> output::CurrentContext,
    ListModels(args::ListModels) -> output::Models,
    DescribeModel(args::DescribeModel) -> output::ModelDescription,
    SearchRecords(args::SearchRecords) -> output::Records,
    GetRecord(args::GetRecord) -> output::OneRecord,
    CountRecords(args::CountRecords) -> output::Count,
    AggregateRecords(args::AggregateRecords) -> output::Groups,
    CreateRecord(args::CreateRecord) -> output::CreateRecordAnswer,
    UpdateRecord(args::UpdateRecord) -> output::UpdateRecordAnswer,
    DeleteRecord(args::DeleteRecord) -> output::DeleteRecordAnswer,
    ExecuteMethod(args::ExecuteMethod) -> output::MethodRun,
    CreateRecords(args::CreateRecords) -> output::CreateRecordsAnswer,
    UpdateRecords(args::UpdateRecords) -> output::UpdateRecordsAnswer,
    ListActions(args::ListActions) -> output::Actions,
    RunAction(args::RunAction) -> output::ActionRun,
    PostMessage(args::PostMessage) -> output::Posted,
    PostNote(args::PostMessage) -> output::Posted,
    ReadMessages(args::ReadMessages) -> output::Messages,
    ScheduleActivity(args::ScheduleActivity) -> output::Scheduled,
    CompleteActivity(args::CompleteActivity) -> output::Completed,
    ListActivities(args::ListActivities) -> output::Activities,
    ListAttachments(args::ListAttachments) -> output::Attachments,
    GetAttachment(args::GetAttachment) -> output::AttachmentContent,
    UploadAttachment(args::UploadAttachment) -> output::Uploaded,
    PrintReport(args::PrintReport) -> output::Printed,
    GetApprovalStatus(args::GetApprovalStatus) -> output::ApprovalStatus,
}

impl Tool {
    /// Whether the tool works in Odoo, and so takes the company arguments. The approvals' own
    /// tool reads only the gateway's store.
    pub fn calls_odoo(self) -> bool {
        self != Tool::GetApprovalStatus
    }

    /// Whether a call can be held for approval. The approvals' own tool never is: holding it
    /// would leave the AI no way to learn any outcome.
    pub fn can_be_held(self) -> bool {
        self != Tool::GetApprovalStatus
    }

    /// Whether the tool changes Odoo, and so takes an idempotency key.
    pub fn writes(self) -> bool {
        !self.spec().read_only
    }

    fn described(self, schema: Arc<JsonObject>) -> Arc<JsonObject> {
        let schema = if self.calls_odoo() {
            company::with_company(schema)
        } else {
            schema
        };
        if self.writes() {
            idempotency::with_key(schema)
        } else {
            schema
        }
    }
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
        let parsed = Tool::CountRecords
            .parse(object(json!({"model": "res.partner", "company_id": 2})))
            .unwrap();
        assert!(matches!(parsed.call, Call::CountRecords(a) if a.model == "res.partner"));
        assert_eq!(parsed.companies.unwrap().ids(), [2]);
        let not_here = Tool::GetApprovalStatus
            .parse(object(json!({"approval_id": "apr_1", "company_id": 2})))
            .unwrap_err();
        assert!(
            not_here.0.contains("unknown field `company_id`"),
            "{not_here}"
        );
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
