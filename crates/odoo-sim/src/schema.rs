//! The models the simulator knows and their fields' metadata, as `fields_get` reports them.

use serde_json::{Map, Value, json};

use super::OdooVersion;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    Char,
    Text,
    Html,
    Integer,
    Float,
    Monetary,
    Boolean,
    Date,
    Datetime,
    Selection,
    Many2one,
    One2many,
    Many2many,
    /// An id of a record of the model another field names (`ir.attachment.res_id`).
    Many2oneReference,
    Binary,
}

impl Type {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Type::Char => "char",
            Type::Text => "text",
            Type::Html => "html",
            Type::Integer => "integer",
            Type::Float => "float",
            Type::Monetary => "monetary",
            Type::Boolean => "boolean",
            Type::Date => "date",
            Type::Datetime => "datetime",
            Type::Selection => "selection",
            Type::Many2one => "many2one",
            Type::One2many => "one2many",
            Type::Many2many => "many2many",
            Type::Many2oneReference => "many2one_reference",
            Type::Binary => "binary",
        }
    }
    pub(crate) fn is_relational(self) -> bool {
        matches!(self, Type::Many2one | Type::One2many | Type::Many2many)
    }
    pub(crate) fn is_x2many(self) -> bool {
        matches!(self, Type::One2many | Type::Many2many)
    }
    pub(crate) fn is_numeric(self) -> bool {
        matches!(self, Type::Integer | Type::Float | Type::Monetary)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub string: &'static str,
    pub ty: Type,
    pub required: bool,
    pub readonly: bool,
    pub relation: Option<&'static str>,
    /// For one2many: the many2one on the comodel pointing back.
    pub inverse: Option<&'static str>,
    pub selection: &'static [(&'static str, &'static str)],
    pub help: Option<&'static str>,
    /// Non-stored fields are computed at read time and cannot be written.
    pub store: bool,
}

fn f(name: &'static str, string: &'static str, ty: Type) -> Field {
    Field {
        name,
        string,
        ty,
        required: false,
        readonly: false,
        relation: None,
        inverse: None,
        selection: &[],
        help: None,
        store: true,
    }
}

impl Field {
    fn req(mut self) -> Self {
        self.required = true;
        self
    }
    fn ro(mut self) -> Self {
        self.readonly = true;
        self
    }
    fn computed(mut self) -> Self {
        self.readonly = true;
        self.store = false;
        self
    }
    /// Computed, not stored, but written through an inverse (`ir.attachment.datas`): the simulator
    /// keeps the written value in the record and reads it back.
    fn inverse(mut self) -> Self {
        self.store = false;
        self
    }
    fn help(mut self, help: &'static str) -> Self {
        self.help = Some(help);
        self
    }
    fn sel(mut self, selection: &'static [(&'static str, &'static str)]) -> Self {
        self.selection = selection;
        self
    }

    /// All attributes of this field, as `fields_get` without `attributes` returns them.
    pub(crate) fn describe(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("string".into(), json!(self.string));
        out.insert("type".into(), json!(self.ty.as_str()));
        out.insert("required".into(), json!(self.required));
        out.insert("readonly".into(), json!(self.readonly));
        out.insert("store".into(), json!(self.store));
        out.insert("sortable".into(), json!(self.store && !self.ty.is_x2many()));
        out.insert("searchable".into(), json!(true));
        out.insert(
            "groupable".into(),
            json!(self.store && !self.ty.is_x2many()),
        );
        out.insert("manual".into(), json!(false));
        out.insert("company_dependent".into(), json!(false));
        out.insert("depends".into(), json!([]));
        if let Some(relation) = self.relation {
            out.insert("relation".into(), json!(relation));
            out.insert("domain".into(), json!([]));
            out.insert("context".into(), json!({}));
        }
        if let Some(inverse) = self.inverse {
            out.insert("relation_field".into(), json!(inverse));
        }
        if self.ty == Type::Selection {
            let pairs: Vec<Value> = self.selection.iter().map(|(k, v)| json!([k, v])).collect();
            out.insert("selection".into(), Value::Array(pairs));
        }
        if let Some(help) = self.help {
            out.insert("help".into(), json!(help));
        }
        if self.ty.is_numeric() && self.name != "id" {
            out.insert("aggregator".into(), json!("sum"));
        }
        out
    }
}

fn m2o(name: &'static str, string: &'static str, relation: &'static str) -> Field {
    Field {
        relation: Some(relation),
        ..f(name, string, Type::Many2one)
    }
}
fn o2m(
    name: &'static str,
    string: &'static str,
    relation: &'static str,
    inverse: &'static str,
) -> Field {
    Field {
        relation: Some(relation),
        inverse: Some(inverse),
        ..f(name, string, Type::One2many)
    }
}
/// `mail.activity.mixin`'s field (models with activities: contacts, sales orders, …).
fn activity_ids() -> Field {
    o2m("activity_ids", "Activities", "mail.activity", "res_id")
}
/// `mail.thread`'s field: the model has a chatter.
fn message_ids() -> Field {
    o2m("message_ids", "Messages", "mail.message", "res_id")
}
fn m2m(name: &'static str, string: &'static str, relation: &'static str) -> Field {
    Field {
        relation: Some(relation),
        ..f(name, string, Type::Many2many)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Model {
    pub name: &'static str,
    /// `_description`, used in access error messages.
    pub description: &'static str,
    /// `_order`.
    pub order: &'static str,
    /// `_rec_name`: the field `display_name` is computed from.
    pub rec_name: &'static str,
    pub fields: Vec<Field>,
}

impl Model {
    pub(crate) fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }
    pub(crate) fn has_active(&self) -> bool {
        self.field("active").is_some()
    }
}

fn model(
    name: &'static str,
    description: &'static str,
    order: &'static str,
    rec_name: &'static str,
    own: Vec<Field>,
) -> Model {
    let mut fields = vec![f("id", "ID", Type::Integer).ro()];
    fields.extend(own);
    fields.extend([
        f("display_name", "Display Name", Type::Char).computed(),
        f("create_date", "Created on", Type::Datetime).ro(),
        m2o("create_uid", "Created by", "res.users").ro(),
        f("write_date", "Last Updated on", Type::Datetime).ro(),
        m2o("write_uid", "Last Updated by", "res.users").ro(),
    ]);
    Model {
        name,
        description,
        order,
        rec_name,
        fields,
    }
}

const PARTNER_TYPES: &[(&str, &str)] = &[
    ("contact", "Contact"),
    ("invoice", "Invoice Address"),
    ("delivery", "Delivery Address"),
    ("other", "Other Address"),
];
const SALE_STATES: &[(&str, &str)] = &[
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
];
const PRODUCT_TYPES: &[(&str, &str)] = &[
    ("consu", "Goods"),
    ("service", "Service"),
    ("combo", "Combo"),
];
const MODEL_STATES: &[(&str, &str)] = &[("manual", "Custom Object"), ("base", "Base Object")];
const ATTACHMENT_TYPES: &[(&str, &str)] = &[("url", "URL"), ("binary", "File")];
const REPORT_TYPES: &[(&str, &str)] = &[
    ("qweb-html", "HTML"),
    ("qweb-pdf", "PDF"),
    ("qweb-text", "Text"),
];
const CRON_INTERVALS: &[(&str, &str)] = &[
    ("minutes", "Minutes"),
    ("hours", "Hours"),
    ("days", "Days"),
    ("weeks", "Weeks"),
    ("months", "Months"),
];

/// Every model of the simulator, with fields as the given Odoo version names them.
pub(crate) fn models(version: OdooVersion) -> Vec<Model> {
    let groups_field = match version {
        OdooVersion::V18 => "groups_id",
        OdooVersion::V19 => "group_ids",
    };
    vec![
        model("res.partner", "Contact", "complete_name ASC, id DESC", "name", vec![
            f("name", "Name", Type::Char),
            f("complete_name", "Complete Name", Type::Char).computed(),
            f("email", "Email", Type::Char),
            f("phone", "Phone", Type::Char),
            f("is_company", "Is a Company", Type::Boolean)
                .help("Check if the contact is a company, otherwise it is a person"),
            m2o("parent_id", "Related Company", "res.partner"),
            o2m("child_ids", "Contact", "res.partner", "parent_id"),
            f("type", "Address Type", Type::Selection).sel(PARTNER_TYPES),
            m2o("company_id", "Company", "res.company"),
            m2o("country_id", "Country", "res.country"),
            f("street", "Street", Type::Char),
            f("city", "City", Type::Char),
            f("zip", "Zip", Type::Char),
            f("website", "Website Link", Type::Char),
            f("function", "Job Position", Type::Char),
            f("active", "Active", Type::Boolean),
            f("customer_rank", "Customer Rank", Type::Integer),
            f("supplier_rank", "Supplier Rank", Type::Integer),
            m2o("user_id", "Salesperson", "res.users")
                .help("The internal user in charge of this contact."),
            m2m("category_id", "Tags", "res.partner.category"),
            f("comment", "Notes", Type::Html),
            f("image_128", "Image 128", Type::Binary),
            o2m("sale_order_ids", "Sales Order", "sale.order", "partner_id"),
            o2m("user_ids", "Users", "res.users", "partner_id"),
            activity_ids(),
            message_ids(),
        ]),
        model("res.partner.category", "Partner Tags", "name", "name", vec![
            f("name", "Name", Type::Char).req(),
            f("color", "Color", Type::Integer),
            m2o("parent_id", "Parent Category", "res.partner.category"),
            f("active", "Active", Type::Boolean),
        ]),
        model("res.users", "User", "name, login", "name", vec![
            f("name", "Name", Type::Char),
            f("login", "Login", Type::Char).req().help("Used to log into the system"),
            m2o("partner_id", "Related Partner", "res.partner").req(),
            m2o("company_id", "Company", "res.company").req(),
            m2m("company_ids", "Companies", "res.company"),
            f("active", "Active", Type::Boolean),
            f("email", "Email", Type::Char),
            f("share", "Share User", Type::Boolean).computed()
                .help("External user with limited access, created only for the purpose of sharing data."),
            m2m(groups_field, "Groups", "res.groups"),
            f("lang", "Language", Type::Selection).sel(&[("en_US", "English (US)")]),
            f("tz", "Timezone", Type::Selection).sel(&[("Europe/Brussels", "Europe/Brussels"), ("America/New_York", "America/New_York")]),
        ]),
        model("res.company", "Companies", "sequence, name", "name", vec![
            f("name", "Company Name", Type::Char).req(),
            m2o("partner_id", "Partner", "res.partner").req(),
            f("email", "Email", Type::Char),
            f("phone", "Phone", Type::Char),
            m2o("country_id", "Country", "res.country"),
            f("sequence", "Sequence", Type::Integer),
            f("active", "Active", Type::Boolean),
        ]),
        model("res.country", "Country", "name", "name", vec![
            f("name", "Country Name", Type::Char).req(),
            f("code", "Country Code", Type::Char)
                .help("The ISO country code in two chars. \nYou can use this field for quick search."),
            f("phone_code", "Country Calling Code", Type::Integer),
        ]),
        model("res.groups", "Access Groups", "name", "name", vec![
            f("name", "Name", Type::Char).req(),
            f("full_name", "Group Name", Type::Char).computed(),
            f("share", "Share Group", Type::Boolean),
        ]),
        model("product.category", "Product Category", "complete_name", "complete_name", vec![
            f("name", "Name", Type::Char).req(),
            f("complete_name", "Complete Name", Type::Char).computed(),
            m2o("parent_id", "Parent Category", "product.category"),
        ]),
        model("product.template", "Product", "is_favorite desc, name, id", "name", product_fields(false)),
        model("product.product", "Product Variant", "is_favorite desc, default_code, name, id", "name", product_fields(true)),
        model("sale.order", "Sales Order", "date_order desc, id desc", "name", vec![
            f("name", "Order Reference", Type::Char).req(),
            m2o("partner_id", "Customer", "res.partner").req(),
            f("date_order", "Order Date", Type::Datetime).req(),
            f("state", "Status", Type::Selection).sel(SALE_STATES).ro(),
            f("amount_untaxed", "Untaxed Amount", Type::Monetary).computed(),
            f("amount_total", "Total", Type::Monetary).computed(),
            o2m("order_line", "Order Lines", "sale.order.line", "order_id"),
            m2o("user_id", "Salesperson", "res.users"),
            m2o("company_id", "Company", "res.company").req(),
            f("client_order_ref", "Customer Reference", Type::Char),
            f("note", "Terms and conditions", Type::Html),
            activity_ids(),
            message_ids(),
        ]),
        model("sale.order.line", "Sales Order Line", "order_id, sequence, id", "name", vec![
            m2o("order_id", "Order Reference", "sale.order").req(),
            f("sequence", "Sequence", Type::Integer),
            m2o("product_id", "Product", "product.product"),
            f("name", "Description", Type::Text).req(),
            f("product_uom_qty", "Quantity", Type::Float),
            f("price_unit", "Unit Price", Type::Float),
            f("price_subtotal", "Subtotal", Type::Monetary).computed(),
            m2o("company_id", "Company", "res.company").computed(),
            f("state", "Order Status", Type::Selection).sel(SALE_STATES).computed(),
        ]),
        model("mail.activity", "Activity", "date_deadline ASC, id ASC", "summary", vec![
            m2o("res_model_id", "Document Model", "ir.model").req(),
            f("res_model", "Related Document Model", Type::Char),
            f("res_id", "Related Document ID", Type::Integer).req(),
            f("res_name", "Document Name", Type::Char).computed(),
            m2o("activity_type_id", "Activity Type", "mail.activity.type"),
            f("summary", "Summary", Type::Char),
            f("note", "Note", Type::Html),
            f("date_deadline", "Due Date", Type::Date).req(),
            m2o("user_id", "Assigned to", "res.users"),
            f("active", "Active", Type::Boolean),
            f("state", "State", Type::Selection)
                .sel(&[("overdue", "Overdue"), ("today", "Today"), ("planned", "Planned")])
                .computed(),
        ]),
        model("mail.activity.type", "Activity Type", "sequence, id", "name", vec![
            f("name", "Name", Type::Char).req(),
            f("summary", "Default Summary", Type::Char),
            f("sequence", "Sequence", Type::Integer),
            f("category", "Action", Type::Selection)
                .sel(&[("default", "None"), ("upload_file", "Upload Document"), ("phonecall", "Phonecall")]),
            f("delay_count", "Schedule", Type::Integer),
            f("active", "Active", Type::Boolean),
        ]),
        model("ir.model", "Models", "model", "name", vec![
            f("name", "Model Description", Type::Char).req(),
            f("model", "Model", Type::Char).req(),
            f("state", "Type", Type::Selection).sel(MODEL_STATES).ro(),
            f("transient", "Transient Model", Type::Boolean).ro(),
            f("info", "Information", Type::Text),
            o2m("field_id", "Fields", "ir.model.fields", "model_id"),
        ]),
        model("ir.model.fields", "Fields", "name", "field_description", vec![
            f("name", "Field Name", Type::Char).req(),
            f("field_description", "Field Label", Type::Char).req(),
            f("model", "Model Name", Type::Char).req(),
            m2o("model_id", "Model", "ir.model").req(),
            f("ttype", "Field Type", Type::Char).req(),
            f("relation", "Related Model", Type::Char),
            f("required", "Required", Type::Boolean),
            f("readonly", "Readonly", Type::Boolean),
            f("store", "Stored", Type::Boolean),
        ]),
        model("ir.model.access", "Model Access", "model_id,group_id,name,id", "name", vec![
            f("name", "Name", Type::Char).req(),
            m2o("model_id", "Model", "ir.model").req(),
            m2o("group_id", "Group", "res.groups"),
            f("perm_read", "Read Access", Type::Boolean),
            f("perm_write", "Write Access", Type::Boolean),
            f("perm_create", "Create Access", Type::Boolean),
            f("perm_unlink", "Delete Access", Type::Boolean),
            f("active", "Active", Type::Boolean),
        ]),
        model("ir.config_parameter", "System Parameter", "key", "key", vec![
            f("key", "Key", Type::Char).req(),
            f("value", "Value", Type::Text).req(),
        ]),
        model("ir.cron", "Scheduled Actions", "cron_name, id", "name", vec![
            f("cron_name", "Name", Type::Char).computed(),
            f("name", "Action Name", Type::Char).req(),
            m2o("model_id", "Model", "ir.model").req(),
            f("code", "Python Code", Type::Text),
            m2o("user_id", "Scheduler User", "res.users").req(),
            f("interval_number", "Interval Number", Type::Integer),
            f("interval_type", "Interval Unit", Type::Selection).sel(CRON_INTERVALS),
            f("nextcall", "Next Execution Date", Type::Datetime).req(),
            f("active", "Active", Type::Boolean),
        ]),
        model("ir.rule", "Record Rule", "model_id DESC,id", "name", vec![
            f("name", "Name", Type::Char),
            m2o("model_id", "Model", "ir.model").req(),
            m2m("groups", "Groups", "res.groups"),
            f("domain_force", "Domain", Type::Text),
            f("perm_read", "Read", Type::Boolean),
            f("perm_write", "Write", Type::Boolean),
            f("perm_create", "Create", Type::Boolean),
            f("perm_unlink", "Delete", Type::Boolean),
            f("active", "Active", Type::Boolean),
        ]),
        // Last, so that adding it left the ids of the other `ir.model` rows as they were.
        model("mail.message", "Message", "id desc", "body", vec![
            f("body", "Contents", Type::Html),
            f("model", "Related Document Model", Type::Char),
            f("res_id", "Related Document ID", Type::Integer),
            f("message_type", "Type", Type::Selection)
                .sel(&[("email", "Incoming Email"), ("comment", "Comment"), ("notification", "System notification")]),
            m2o("author_id", "Author", "res.partner"),
            f("date", "Date", Type::Datetime),
            m2o("subtype_id", "Subtype", "mail.message.subtype"),
            m2m("partner_ids", "Recipients", "res.partner"),
        ]),
        model("mail.message.subtype", "Message subtypes", "sequence, id", "name", vec![
            f("name", "Message Type", Type::Char).req(),
            f("internal", "Internal Only", Type::Boolean),
            f("sequence", "Sequence", Type::Integer),
        ]),
        // Files and reports, after the others for the same reason as mail.message.
        model("ir.attachment", "Attachment", "id desc", "name", vec![
            f("name", "Name", Type::Char).req(),
            f("description", "Description", Type::Text),
            f("res_name", "Resource Name", Type::Char).computed(),
            f("res_model", "Resource Model", Type::Char),
            f("res_id", "Resource ID", Type::Many2oneReference),
            m2o("company_id", "Company", "res.company"),
            f("type", "Type", Type::Selection).sel(ATTACHMENT_TYPES).req()
                .help("You can either upload a file from your computer or copy/paste an internet link to your file."),
            f("url", "Url", Type::Char),
            f("public", "Is public document", Type::Boolean),
            f("datas", "File Content (base64)", Type::Binary).inverse(),
            f("file_size", "File Size", Type::Integer).ro(),
            f("mimetype", "Mime Type", Type::Char).ro(),
        ]),
        model("ir.actions.report", "Report Action", "name, id", "name", vec![
            f("name", "Action Name", Type::Char).req(),
            f("type", "Action Type", Type::Char).req(),
            m2o("binding_model_id", "Binding Model", "ir.model"),
            f("binding_type", "Binding Type", Type::Selection)
                .sel(&[("action", "Action"), ("report", "Report")]).req(),
            f("model", "Model Name", Type::Char).req(),
            m2o("model_id", "Model", "ir.model").computed(),
            f("report_type", "Report Type", Type::Selection).sel(REPORT_TYPES).req(),
            f("report_name", "Template Name", Type::Char).req(),
            f("report_file", "Report File", Type::Char),
            m2m(groups_field, "Groups", "res.groups"),
            f("multi", "On Multiple Doc.", Type::Boolean),
            f("print_report_name", "Printed Report Name", Type::Char),
            f("attachment_use", "Reload from Attachment", Type::Boolean),
            f("attachment", "Save as Attachment Prefix", Type::Char),
        ]),
    ]
}

fn product_fields(variant: bool) -> Vec<Field> {
    let mut fields = vec![
        f("name", "Name", Type::Char).req(),
        f("default_code", "Internal Reference", Type::Char),
        f("list_price", "Sales Price", Type::Float)
            .help("Price at which the product is sold to customers."),
        f("standard_price", "Cost", Type::Float),
        f("type", "Product Type", Type::Selection).sel(PRODUCT_TYPES),
        m2o("categ_id", "Product Category", "product.category"),
        f("sale_ok", "Can be Sold", Type::Boolean),
        f("active", "Active", Type::Boolean),
        f("is_favorite", "Favorite", Type::Boolean),
        f("description_sale", "Sales Description", Type::Text),
        f("qty_available", "Quantity On Hand", Type::Float).computed(),
        m2o("company_id", "Company", "res.company"),
    ];
    if variant {
        fields.push(m2o(
            "product_tmpl_id",
            "Product Template",
            "product.template",
        ));
    }
    fields
}

/// Defaults `create` applies (and `default_get` reports) when a value is not given.
pub(crate) fn default_value(model: &str, field: &str) -> Option<Value> {
    let value = match (model, field) {
        (_, "active") => json!(true),
        ("res.partner", "type") => json!("contact"),
        ("res.partner", "is_company") => json!(false),
        ("res.partner", "customer_rank" | "supplier_rank") => json!(0),
        ("res.partner" | "sale.order" | "res.users" | "ir.attachment", "company_id") => json!(1),
        ("ir.attachment", "type") => json!("binary"),
        ("ir.actions.report", "type") => json!("ir.actions.report"),
        ("ir.actions.report", "binding_type") => json!("report"),
        ("ir.actions.report", "report_type") => json!("qweb-pdf"),
        ("res.users", "company_ids") => json!([1]),
        ("res.users", "lang") => json!("en_US"),
        ("res.users", "tz") => json!("Europe/Brussels"),
        ("sale.order", "state") => json!("draft"),
        ("sale.order.line", "product_uom_qty") => json!(1.0),
        ("sale.order.line", "sequence") => json!(10),
        ("product.template" | "product.product", "type") => json!("consu"),
        ("product.template" | "product.product", "sale_ok") => json!(true),
        ("product.template" | "product.product", "categ_id") => json!(1),
        ("res.company", "sequence") => json!(10),
        ("ir.model", "state") => json!("manual"),
        ("ir.cron", "interval_number") => json!(1),
        ("ir.cron", "interval_type") => json!("months"),
        (_, "perm_read" | "perm_write" | "perm_create" | "perm_unlink") => json!(true),
        _ => return None,
    };
    Some(value)
}
