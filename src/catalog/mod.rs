//! The tool catalog — the shared vocabulary of tool calls: every tool's name, title, description, category, risk and MCP annotations,
//! and its input schema derived from the argument type the tool parses.

use std::sync::Arc;

use rmcp::model::{JsonObject, ToolAnnotations};

pub mod args;
mod call;
pub mod company;
pub mod idempotency;
pub mod output;
mod parse;
pub mod schema;
pub mod validate;

pub use call::{Call, Parsed, Tool};
pub use parse::BadArguments;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Context,
    Read,
    Write,
    Advanced,
    Chatter,
    Files,
    Approvals,
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Self::Context => "context",
            Self::Read => "read",
            Self::Write => "write",
            Self::Advanced => "advanced",
            Self::Chatter => "chatter",
            Self::Files => "files",
            Self::Approvals => "approvals",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn label(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// What a tool does to the records of its model, for a connection's Model Operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    Read,
    Create,
    Write,
    Delete,
    /// Buttons and methods: whatever the model's code does.
    Execute,
}

impl Operation {
    pub const ALL: [Operation; 5] = [
        Self::Read,
        Self::Create,
        Self::Write,
        Self::Delete,
        Self::Execute,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Write => "write",
            Self::Delete => "delete",
            Self::Execute => "execute",
        }
    }

    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.label() == label)
    }
}

/// One entry of the catalog.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub category: Category,
    pub risk: Risk,
    /// Changes nothing in Odoo: visible to Read Only connections.
    pub read_only: bool,
    /// May destroy or overwrite data (MCP `destructiveHint`).
    pub destructive: bool,
    pub idempotent: bool,
    /// Models the tool reads or writes besides its `model` argument (the chatter's messages,
    /// activities): a connection's Allowed Models must list them too.
    pub touches: &'static [&'static str],
    /// What it does to the records of the model it works on; none for the tools that work on
    /// no model's records (the user's context, the model list, approvals).
    pub operation: Option<Operation>,
    /// The tool itself: its argument type, schema and parsing.
    pub tool: Tool,
}

impl ToolSpec {
    pub fn input_schema(&self) -> Arc<JsonObject> {
        self.tool.schema()
    }

    /// The MCP description of the tool, with category and risk in `_meta` for clients that show them.
    pub fn to_mcp(&self) -> rmcp::model::Tool {
        let annotations = ToolAnnotations::with_title(self.title)
            .read_only(self.read_only)
            .destructive(self.destructive)
            .idempotent(self.idempotent)
            .open_world(false);
        let mut tool = rmcp::model::Tool::new(self.name, self.description, self.input_schema());
        tool.title = Some(self.title.to_owned());
        tool.output_schema = self.tool.output_schema();
        tool.annotations = Some(annotations);
        let mut meta = rmcp::model::MetaObject::new();
        meta.insert("category".into(), self.category.label().into());
        meta.insert("risk".into(), self.risk.label().into());
        tool.meta = Some(meta);
        tool
    }
}

pub const GET_APPROVAL_STATUS: &str = "get_approval_status";
/// The chatter's messages and its activities: models the chatter tools touch.
pub const MAIL_MESSAGE: &str = "mail.message";
pub const MAIL_ACTIVITY: &str = "mail.activity";
/// Odoo's files: the model the attachment tools touch.
pub const IR_ATTACHMENT: &str = "ir.attachment";

/// The whole catalog, in the order `tools/list` shows it.
pub static CATALOG: &[ToolSpec] = &[
    ToolSpec {
        name: "get_current_context",
        title: "Who am I in Odoo",
        description: "Returns the Odoo user this connection acts as (id, login, name, company, language, \
                      time zone), the Odoo version and database, and the connection's scope. Call it first \
                      to know whose rights apply.",
        category: Category::Context,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[],
        operation: None,
        tool: Tool::GetCurrentContext,
    },
    ToolSpec {
        name: "list_models",
        title: "List Odoo models",
        description: "Lists the Odoo models (technical name and label) the user can see, optionally filtered \
                      by a word matched against both. Use it to find e.g. that invoices are `account.move`.",
        category: Category::Context,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[],
        operation: None,
        tool: Tool::ListModels,
    },
    ToolSpec {
        name: "describe_model",
        title: "Describe a model's fields",
        description: "Returns the fields of one model: label, type, whether required or read-only, the related \
                      model of relational fields and the allowed values of selections. Use it before \
                      searching, creating or updating to learn the field names.",
        category: Category::Context,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[],
        operation: Some(Operation::Read),
        tool: Tool::DescribeModel,
    },
    ToolSpec {
        name: "search_records",
        title: "Search records",
        description: "Finds records of a model matching an Odoo domain, e.g. [[\"is_company\",\"=\",true], \
                      [\"country_id.code\",\"=\",\"BE\"]], and returns the requested fields (default: id and \
                      display_name). Results are paged: limit defaults to 20 and cannot exceed 200; use \
                      offset and order (e.g. \"name asc\") for more.",
        category: Category::Read,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[],
        operation: Some(Operation::Read),
        tool: Tool::SearchRecords,
    },
    ToolSpec {
        name: "get_record",
        title: "Read one record",
        description: "Reads one record by id. Without `fields`, returns its stored, non-binary fields \
                      (at most 40); name fields to get exactly those.",
        category: Category::Read,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[],
        operation: Some(Operation::Read),
        tool: Tool::GetRecord,
    },
    ToolSpec {
        name: "count_records",
        title: "Count records",
        description: "Counts the records of a model matching an Odoo domain (all records when no domain).",
        category: Category::Read,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[],
        operation: Some(Operation::Read),
        tool: Tool::CountRecords,
    },
    ToolSpec {
        name: "aggregate_records",
        title: "Group and total records",
        description: "Groups records (Odoo read_group) and computes totals: e.g. group_by [\"state\"] with \
                      aggregates [\"amount_total:sum\"] on sale.order. Dates can be grouped by period, \
                      e.g. \"date_order:month\". Each group has its record count.",
        category: Category::Read,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[],
        operation: Some(Operation::Read),
        tool: Tool::AggregateRecords,
    },
    ToolSpec {
        name: "create_record",
        title: "Create a record",
        description: "Creates one record with the given field values and returns its id. With dry_run true, \
                      checks the model, the field names and the user's right to create, and changes \
                      nothing. (A dry run is never held for approval.)",
        category: Category::Write,
        risk: Risk::Medium,
        read_only: false,
        destructive: false,
        idempotent: false,
        touches: &[],
        operation: Some(Operation::Create),
        tool: Tool::CreateRecord,
    },
    ToolSpec {
        name: "update_record",
        title: "Update records",
        description: "Writes the given field values on the records with the given ids. With dry_run true, \
                      shows the current values that would change and changes nothing. (A dry run is never \
                      held for approval.)",
        category: Category::Write,
        risk: Risk::Medium,
        read_only: false,
        destructive: true,
        idempotent: true,
        touches: &[],
        operation: Some(Operation::Write),
        tool: Tool::UpdateRecord,
    },
    ToolSpec {
        name: "delete_record",
        title: "Delete records",
        description: "Deletes the records with the given ids. With dry_run true, lists what would be deleted \
                      and changes nothing. (A dry run is never held for approval.)",
        category: Category::Write,
        risk: Risk::High,
        read_only: false,
        destructive: true,
        idempotent: true,
        touches: &[],
        operation: Some(Operation::Delete),
        tool: Tool::DeleteRecord,
    },
    ToolSpec {
        name: "create_records",
        title: "Create many records",
        description: "Creates up to 100 records of one model in one Odoo call — all of them or, if \
                      Odoo refuses any, none — and returns their ids in order. With dry_run true, \
                      checks every record's values and lists required fields left unset, changing \
                      nothing.",
        category: Category::Write,
        risk: Risk::Medium,
        read_only: false,
        destructive: false,
        idempotent: false,
        touches: &[],
        operation: Some(Operation::Create),
        tool: Tool::CreateRecords,
    },
    ToolSpec {
        name: "update_records",
        title: "Update many records",
        description: "Writes on many records of one model: the same values on all `ids` (one Odoo \
                      call: all or none), or values per record in `records` (records sharing the \
                      same values are written together; the answer lists which were updated and \
                      which failed, with Odoo's reason). With dry_run true, shows the current values \
                      that would change.",
        category: Category::Write,
        risk: Risk::Medium,
        read_only: false,
        destructive: true,
        idempotent: true,
        touches: &[],
        operation: Some(Operation::Write),
        tool: Tool::UpdateRecords,
    },
    ToolSpec {
        name: "list_actions",
        title: "List a record's buttons",
        description: "Returns the buttons the record's form offers this user now — e.g. Confirm, \
                      Send by Email, Cancel on a quotation — with the labels Odoo shows, read from \
                      the form view and its conditions evaluated on the record. Press one with \
                      run_action.",
        category: Category::Read,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[],
        operation: Some(Operation::Read),
        tool: Tool::ListActions,
    },
    ToolSpec {
        name: "run_action",
        title: "Press a record's button",
        description: "Presses one of the buttons list_actions shows (and only those), as the user \
                      would on the form: e.g. action_confirm on a quotation. A button that opens a \
                      wizard answers with the wizard's fields, defaults and buttons and does \
                      nothing yet; call again with wizard: {button, values} to fill it and press \
                      one of its buttons.",
        category: Category::Advanced,
        risk: Risk::High,
        read_only: false,
        destructive: true,
        idempotent: false,
        touches: &[],
        operation: Some(Operation::Execute),
        tool: Tool::RunAction,
    },
    ToolSpec {
        name: "execute_method",
        title: "Run a model method",
        description: "Calls a public business method of a model, such as sale.order action_confirm, on the \
                      given ids with named arguments. Private methods (starting with _), the plain CRUD \
                      methods (use the dedicated tools) and sensitive models and methods (system \
                      parameters, API keys, access rules, scheduled actions, modules, sudo …) are refused.",
        category: Category::Advanced,
        risk: Risk::High,
        read_only: false,
        destructive: true,
        idempotent: false,
        touches: &[],
        operation: Some(Operation::Execute),
        tool: Tool::ExecuteMethod,
    },
    ToolSpec {
        name: "post_message",
        title: "Post a message to followers",
        description: "Posts a message on a record's chatter (any model with a chatter: sale.order, \
                      res.partner, crm.lead …). Odoo sends it to the record's followers — customers \
                      included, by email — and to the contacts in partner_ids. For a remark only \
                      employees see, use post_note. The body is plain text.",
        category: Category::Chatter,
        risk: Risk::High,
        read_only: false,
        destructive: false,
        idempotent: false,
        touches: &[MAIL_MESSAGE],
        operation: Some(Operation::Write),
        tool: Tool::PostMessage,
    },
    ToolSpec {
        name: "post_note",
        title: "Log an internal note",
        description: "Logs an internal note on a record's chatter: only employees see it and no \
                      customer is emailed; contacts in partner_ids are mentioned and notified. The \
                      body is plain text.",
        category: Category::Chatter,
        risk: Risk::Medium,
        read_only: false,
        destructive: false,
        idempotent: false,
        touches: &[MAIL_MESSAGE],
        operation: Some(Operation::Write),
        tool: Tool::PostNote,
    },
    ToolSpec {
        name: "read_messages",
        title: "Read a record's chatter",
        description: "Returns the recent messages and notes of a record's chatter, newest first, \
                      compact: date, author, whether it is an internal note, and the text (HTML \
                      removed, long texts cut). Odoo's own notifications (field changes …) only \
                      with include_notifications.",
        category: Category::Chatter,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[MAIL_MESSAGE],
        operation: Some(Operation::Read),
        tool: Tool::ReadMessages,
    },
    ToolSpec {
        name: "schedule_activity",
        title: "Schedule an activity",
        description: "Schedules an activity (To-Do, Call, Meeting …) on a record for an Odoo user — \
                      by default this connection's user — with a summary, a note and a due date \
                      (YYYY-MM-DD). It appears in their activities and on the record.",
        category: Category::Chatter,
        risk: Risk::Medium,
        read_only: false,
        destructive: false,
        idempotent: false,
        touches: &[MAIL_ACTIVITY],
        operation: Some(Operation::Write),
        tool: Tool::ScheduleActivity,
    },
    ToolSpec {
        name: "complete_activity",
        title: "Mark an activity done",
        description: "Marks an activity done, with optional feedback that Odoo posts on the record's \
                      chatter. Get the activity id from list_activities.",
        category: Category::Chatter,
        risk: Risk::Medium,
        read_only: false,
        destructive: false,
        idempotent: false,
        touches: &[MAIL_ACTIVITY],
        operation: Some(Operation::Write),
        tool: Tool::CompleteActivity,
    },
    ToolSpec {
        name: "list_activities",
        title: "List activities",
        description: "Lists open activities, soonest deadline first: without arguments those \
                      assigned to this connection's user; with model and id those of one record. \
                      Each has its type, summary, note, deadline, assignee and state (overdue, \
                      today, planned).",
        category: Category::Chatter,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[MAIL_ACTIVITY],
        operation: Some(Operation::Read),
        tool: Tool::ListActivities,
    },
    ToolSpec {
        name: "list_attachments",
        title: "List a record's files",
        description: "Lists the files attached to a record (name, type, size, date), newest \
                      first, without their content. Read one with get_attachment.",
        category: Category::Files,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[IR_ATTACHMENT],
        operation: Some(Operation::Read),
        tool: Tool::ListAttachments,
    },
    ToolSpec {
        name: "get_attachment",
        title: "Read or download a file",
        description: "Returns an attachment: a small text file's content inline; any other file \
                      as a one-time download link (it expires within minutes and works once), so \
                      the file never fills the conversation.",
        category: Category::Files,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[IR_ATTACHMENT],
        operation: Some(Operation::Read),
        tool: Tool::GetAttachment,
    },
    ToolSpec {
        name: "upload_attachment",
        title: "Attach a file to a record",
        description: "Attaches a file to a record. A small file goes in content_base64; for a \
                      larger one, call without it to get a one-time upload link to PUT the \
                      file's bytes to.",
        category: Category::Files,
        risk: Risk::Medium,
        read_only: false,
        destructive: false,
        idempotent: false,
        touches: &[IR_ATTACHMENT],
        operation: Some(Operation::Write),
        tool: Tool::UploadAttachment,
    },
    ToolSpec {
        name: "print_report",
        title: "Print a report",
        description: "Renders one of a model's printable reports (e.g. the quotation of a \
                      sale.order) for some records and returns a one-time download link, PDF or \
                      HTML. Odoo renders reports only for users signed in with a password, not \
                      with an API key.",
        category: Category::Files,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[],
        operation: Some(Operation::Read),
        tool: Tool::PrintReport,
    },
    ToolSpec {
        name: GET_APPROVAL_STATUS,
        title: "Check an approval",
        description: "Returns the state of an approval request this connection filed (pending, approved, \
                      executed, failed, rejected, expired) and, once the approved call ran, its result. \
                      Poll it after a tool answered pending_approval.",
        category: Category::Approvals,
        risk: Risk::Low,
        read_only: true,
        destructive: false,
        idempotent: true,
        touches: &[],
        operation: None,
        tool: Tool::GetApprovalStatus,
    },
];

/// What a call of a tool that is not in the catalog is told (`name` already shortened).
pub fn unknown_tool(name: &str) -> String {
    format!("Unknown tool '{name}'. Call tools/list to see the tools this connection offers.")
}

/// What a call whose arguments do not read as its tool's is told.
pub fn invalid_arguments(tool: &str, reason: &str) -> String {
    format!("Invalid arguments for {tool}: {reason}")
}

pub fn find(name: &str) -> Option<&'static ToolSpec> {
    CATALOG.iter().find(|t| t.name == name)
}

impl Tool {
    /// This tool's catalog entry. Looked up in a map made once, as every call's parsing asks
    /// for it. Tools are reached through the catalog (by name), so each has an entry.
    pub fn spec(self) -> &'static ToolSpec {
        static BY_TOOL: std::sync::LazyLock<std::collections::HashMap<Tool, &'static ToolSpec>> =
            std::sync::LazyLock::new(|| CATALOG.iter().map(|t| (t.tool, t)).collect());
        BY_TOOL[&self]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_a_valid_name_and_an_object_schema() {
        for tool in CATALOG {
            assert!(
                tool.name.len() <= 128
                    && tool
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
                "{}",
                tool.name
            );
            let schema = tool.input_schema();
            assert_eq!(
                schema.get("type").and_then(|t| t.as_str()),
                Some("object"),
                "{}",
                tool.name
            );
        }
    }

    #[test]
    fn each_tool_is_listed_once_and_finds_its_entry() {
        for entry in CATALOG {
            assert_eq!(entry.tool.spec().name, entry.name);
            assert_eq!(find(entry.name).map(|t| t.tool), Some(entry.tool));
        }
        let tools: std::collections::HashSet<Tool> = CATALOG.iter().map(|t| t.tool).collect();
        assert_eq!(tools.len(), CATALOG.len());
    }

    #[test]
    fn read_only_tools_are_never_destructive_and_writes_are_not_low_risk() {
        for tool in CATALOG {
            if tool.read_only {
                assert!(!tool.destructive, "{}", tool.name);
            } else {
                assert!(tool.risk >= Risk::Medium, "{}", tool.name);
            }
        }
    }
}
