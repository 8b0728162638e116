//! `get_views` for form views: the simulator's forms carry the buttons of the real ones whose
//! methods it runs (a quotation's Confirm and Cancel), with the real `invisible` conditions;
//! every other model's form has no buttons. Shaped as 17+ answers: `views.form.arch`, and the
//! view's fields under `models.<model>.fields`.

use serde_json::{Value, json};

use super::schema::Model;
use super::store::Db;

/// The form arch of `model`.
fn arch(model: &str) -> String {
    match model {
        "sale.order" => r#"<form string="Sales Order"><header>
    <button name="action_confirm" string="Confirm" class="btn-primary" type="object" context="{'validate_analytic': True}" invisible="state not in ('draft', 'sent')"/>
    <button name="action_cancel" type="object" string="Cancel" invisible="state not in ['draft', 'sent', 'sale'] or not id"/>
    <field name="state" widget="statusbar"/>
</header><sheet>
    <field name="name"/>
    <field name="partner_id"/>
    <field name="order_line"><list><field name="name"/></list></field>
</sheet></form>"#
            .to_owned(),
        other => format!(r#"<form string="{other}"><sheet><field name="display_name"/></sheet></form>"#),
    }
}

impl Db {
    /// `get_views(views=[[view_id, "form"]])`.
    pub(crate) fn get_views(&self, model: &Model) -> Value {
        let fields = self.fields_get(model, &[], &["string".into(), "type".into()]);
        json!({
            "views": {"form": {"arch": arch(model.name), "id": false, "model": model.name}},
            "models": {model.name: {"fields": fields}},
        })
    }
}
