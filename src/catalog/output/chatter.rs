//! The chatter tools' answers: messages posted and read, activities scheduled, done and listed.

use schemars::JsonSchema;
use serde::Serialize;

/// A message or note posted on a record's chatter.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Posted {
    pub message_id: i64,
    pub model: String,
    pub id: i64,
    /// An internal note (employees only) rather than a message to followers.
    pub internal: bool,
    /// The contacts mentioned and notified.
    pub partner_ids: Vec<i64>,
}

/// A record's recent messages, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Messages {
    pub model: String,
    pub id: i64,
    pub count: usize,
    pub messages: Vec<Message>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Message {
    pub id: i64,
    /// UTC, "YYYY-MM-DD HH:MM:SS".
    pub date: Option<String>,
    /// The author's name (a contact).
    pub author: Option<String>,
    pub author_id: Option<i64>,
    /// Odoo's message type: comment, email, notification …
    #[serde(rename = "type")]
    pub kind: String,
    /// An internal note, hidden from customers.
    pub internal: bool,
    /// The text, without HTML, cut when long.
    pub text: String,
    pub partner_ids: Vec<i64>,
}

/// An open activity.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Activity {
    pub id: i64,
    /// The record's model and id.
    pub model: String,
    pub record_id: i64,
    pub record_name: Option<String>,
    /// The activity type's name: To-Do, Call …
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub summary: Option<String>,
    /// The note, without HTML, cut when long.
    pub note: Option<String>,
    /// YYYY-MM-DD.
    pub deadline: Option<String>,
    pub assignee: Option<String>,
    pub assignee_id: Option<i64>,
    /// overdue, today or planned.
    pub state: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Scheduled {
    pub activity_id: i64,
    pub activity: Option<Activity>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Completed {
    pub activity_id: i64,
    pub done: bool,
    /// The message Odoo logged on the record's chatter.
    pub message_id: Option<i64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Activities {
    pub count: usize,
    pub activities: Vec<Activity>,
}
