//! Demo data, shaped like Odoo's own demo database (base, contacts, mail, sale).

use serde_json::{Value, json};

use super::OdooVersion;
use super::access::Group;

/// When the demo database was "installed".
pub(crate) const INSTALLED_AT: &str = "2026-01-05 09:00:00";

pub(crate) struct User {
    pub id: i64,
    pub login: &'static str,
    pub password: &'static str,
    pub name: &'static str,
    pub partner_id: i64,
    pub groups: &'static [Group],
    pub active: bool,
}

const ADMIN_GROUPS: &[Group] = &[
    Group::Internal,
    Group::Settings,
    Group::AccessRights,
    Group::ContactCreation,
    Group::SalesUser,
    Group::SalesManager,
];

/// The uid of `demo` differs between the recorded 18 and 19 databases (6 and 5).
pub(crate) fn users(version: OdooVersion) -> Vec<User> {
    let demo = match version {
        OdooVersion::V18 => 6,
        OdooVersion::V19 => 5,
    };
    vec![
        User {
            id: 1,
            login: "__system__",
            password: "",
            name: "OdooBot",
            partner_id: 2,
            groups: ADMIN_GROUPS,
            active: false,
        },
        User {
            id: 2,
            login: "admin",
            password: "admin",
            name: "Mitchell Admin",
            partner_id: 3,
            groups: ADMIN_GROUPS,
            active: true,
        },
        User {
            id: 3,
            login: "public",
            password: "",
            name: "Public user",
            partner_id: 4,
            groups: &[],
            active: false,
        },
        User {
            id: demo,
            login: "demo",
            password: "demo",
            name: "Marc Demo",
            partner_id: 5,
            groups: &[Group::Internal, Group::ContactCreation, Group::SalesUser],
            active: true,
        },
        User {
            id: demo + 1,
            login: "portal",
            password: "portal",
            name: "Joel Willis",
            partner_id: PORTAL_PARTNER,
            groups: &[Group::Portal],
            active: true,
        },
    ]
}

/// The demo database's portal user has no timezone.
fn user_tz(login: &str) -> Value {
    match login {
        "portal" => json!(false),
        _ => json!("Europe/Brussels"),
    }
}

/// (id, name, code, phone code)
pub(crate) const COUNTRIES: &[(i64, &str, &str, i64)] = &[
    (21, "Belgium", "BE", 32),
    (57, "Germany", "DE", 49),
    (75, "France", "FR", 33),
    (104, "India", "IN", 91),
    (231, "United Kingdom", "GB", 44),
    (233, "United States", "US", 1),
];

pub(crate) const US: i64 = 233;

/// Demo companies (customers), in id order; Odoo 19 renamed "Deco Addict" to "Acme Corporation".
fn customer_companies(
    version: OdooVersion,
) -> Vec<(&'static str, &'static str, &'static str, i64)> {
    let deco = match version {
        OdooVersion::V18 => ("Deco Addict", "deco_addict@yourcompany.example.com"),
        OdooVersion::V19 => ("Acme Corporation", "acme_corp@yourcompany.example.com"),
    };
    vec![
        ("Wood Corner", "wood.corner26@example.com", "Turlock", US),
        (deco.0, deco.1, "Pleasant Hill", US),
        (
            "Gemini Furniture",
            "gemini.furniture39@example.com",
            "Fairfield",
            US,
        ),
        ("Lumber Inc", "lumber-inv92@example.com", "Stockton", US),
        ("Ready Mat", "ready.mat28@example.com", "Tracy", US),
        (
            "The Jackson Group",
            "jackson.group82@example.com",
            "Bruxelles",
            21,
        ),
        (
            "Azure Interior",
            "azure.Interior24@example.com",
            "Fremont",
            US,
        ),
    ]
}

/// Contacts of each customer company (by position in `customer_companies`).
const CONTACTS: &[(usize, &str, &str)] = &[
    (0, "Willie Burke", "willie.burke80@example.com"),
    (0, "Ron Gibson", "ron.gibson76@example.com"),
    (1, "Addison Olson", "addison.olson28@example.com"),
    (1, "Douglas Fletcher", "douglas.fletcher51@example.com"),
    (2, "Edwin Hansen", "edwin.hansen58@example.com"),
    (2, "Jesse Brown", "jesse.brown74@example.com"),
    (3, "Floyd Steward", "floyd.steward34@example.com"),
    (4, "Theodore Gardner", "theodore.gardner36@example.com"),
    (5, "Toni Jimenez", "toni.jimenez23@example.com"),
    (6, "Brandon Freeman", "brandon.freeman55@example.com"),
    (6, "Nicole Ford", "nicole.ford75@example.com"),
    (6, "Colleen Diaz", "colleen.diaz83@example.com"),
];

/// Every demo record as (model, values with `id`); relations refer to ids in this list.
pub(crate) fn records(version: OdooVersion) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let mut add = |model: &'static str, value: Value| out.push((model, value));

    add(
        "res.company",
        json!({"id": 1, "name": "YourCompany", "partner_id": 1, "email": "info@yourcompany.com", "phone": "+1 555-555-5556", "country_id": US, "sequence": 0, "active": true}),
    );
    for (id, name, code, phone_code) in COUNTRIES {
        add(
            "res.country",
            json!({"id": id, "name": name, "code": code, "phone_code": phone_code}),
        );
    }
    for group in Group::ALL {
        add(
            "res.groups",
            json!({"id": group.id(), "name": group.name(), "share": group.is_share()}),
        );
    }

    // Partners: the company, the users', then customers and their contacts.
    add(
        "res.partner",
        json!({"id": 1, "name": "YourCompany", "is_company": true, "email": "info@yourcompany.com", "phone": "+1 555-555-5556", "street": "250 Executive Park Blvd, Suite 3400", "city": "San Francisco", "zip": "94134", "country_id": US, "company_id": 1, "website": "http://www.example.com", "image_128": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}),
    );
    for user in users(version) {
        let parent = if user.id == 2 || user.login == "demo" {
            json!(1)
        } else {
            json!(false)
        };
        let email = match user.login {
            "admin" => json!("admin@yourcompany.example.com"),
            "demo" => json!("mark.brown23@example.com"),
            "portal" => json!("joel.willis63@example.com"),
            _ => json!(false),
        };
        add(
            "res.partner",
            json!({"id": user.partner_id, "name": user.name, "parent_id": parent, "email": email, "active": user.active || user.id == 1, "company_id": 1}),
        );
        add(
            "res.users",
            json!({"id": user.id, "login": user.login, "name": user.name, "partner_id": user.partner_id, "company_id": 1, "company_ids": [1], "active": user.active, "email": email, "lang": "en_US", "tz": user_tz(user.login), "groups": user.groups.iter().map(|g| g.id()).collect::<Vec<_>>()}),
        );
    }
    add(
        "res.partner",
        json!({"id": 7, "name": "Default User Template", "active": false, "company_id": 1}),
    );
    let first_company = match version {
        OdooVersion::V18 => 9,
        OdooVersion::V19 => 8,
    };
    let companies = customer_companies(version);
    for (index, (name, email, city, country)) in companies.iter().enumerate() {
        let id = first_company + index as i64;
        add(
            "res.partner",
            json!({"id": id, "name": name, "is_company": true, "email": email, "city": city, "country_id": country, "customer_rank": 1, "user_id": 2, "company_id": false}),
        );
    }
    let first_contact = first_company + companies.len() as i64 + 1;
    for (index, (company, name, email)) in CONTACTS.iter().enumerate() {
        let parent = first_company + *company as i64;
        let (_, _, city, country) = companies[*company];
        add(
            "res.partner",
            json!({"id": first_contact + index as i64, "name": name, "parent_id": parent, "email": email, "city": city, "country_id": country, "function": "Purchaser"}),
        );
    }
    // A supplier and an archived contact, to exercise `active` filtering.
    add(
        "res.partner",
        json!({"id": 40, "name": "Chester Reed", "parent_id": 1, "email": "chester.reed79@example.com", "supplier_rank": 1, "country_id": US}),
    );
    add(
        "res.partner",
        json!({"id": 41, "name": "Dwayne Newman", "parent_id": 1, "email": "dwayne.newman28@example.com", "country_id": US}),
    );
    add(
        "res.partner",
        json!({"id": 42, "name": "Archived Contact", "active": false, "email": "old@example.com"}),
    );
    add(
        "res.partner.category",
        json!({"id": 1, "name": "Vendor", "color": 2}),
    );
    add(
        "res.partner.category",
        json!({"id": 2, "name": "Prospects", "color": 4}),
    );

    add("product.category", json!({"id": 1, "name": "All"}));
    add(
        "product.category",
        json!({"id": 2, "name": "Saleable", "parent_id": 1}),
    );
    add(
        "product.category",
        json!({"id": 3, "name": "Office Furniture", "parent_id": 2}),
    );
    add(
        "product.category",
        json!({"id": 4, "name": "Services", "parent_id": 1}),
    );
    for (id, name, code, price, categ, ty) in PRODUCTS {
        let values = json!({"id": id, "name": name, "default_code": code, "list_price": price, "standard_price": (price * 0.6 * 100.0).round() / 100.0, "categ_id": categ, "type": ty, "sale_ok": true, "description_sale": false});
        add("product.template", values.clone());
        let mut variant = values;
        variant["product_tmpl_id"] = json!(id);
        add("product.product", variant);
    }

    let demo = users(version)
        .iter()
        .find(|u| u.login == "demo")
        .map_or(6, |u| u.id);
    for (index, (state, buyer, seller, day, lines)) in ORDERS.iter().enumerate() {
        let id = index as i64 + 1;
        let partner = match buyer {
            Buyer::Customer(index) => first_company + index,
            Buyer::Portal => PORTAL_PARTNER,
        };
        let salesman = match seller {
            Seller::Admin => 2,
            Seller::Demo => demo,
        };
        add(
            "sale.order",
            json!({"id": id, "name": format!("S{id:05}"), "partner_id": partner, "date_order": format!("2026-{day} 10:00:00"), "state": state, "user_id": salesman, "company_id": 1}),
        );
        for (line_index, (product, qty)) in lines.iter().enumerate() {
            let (_, name, code, price, _, _) = PRODUCTS[(*product - 1) as usize];
            let line_id = id * 10 + line_index as i64;
            add(
                "sale.order.line",
                json!({"id": line_id, "order_id": id, "sequence": 10, "product_id": product, "name": format!("[{code}] {name}"), "product_uom_qty": qty, "price_unit": price}),
            );
        }
    }

    for (id, name, category) in [
        (1, "Email", "default"),
        (2, "Call", "phonecall"),
        (3, "Meeting", "default"),
        (4, "To-Do", "default"),
        (5, "Upload Document", "upload_file"),
    ] {
        add(
            "mail.activity.type",
            json!({"id": id, "name": name, "category": category, "sequence": id, "active": true, "delay_count": 0}),
        );
    }

    // mail's subtypes: a posted comment is a message (Discussions) or a note; activities done
    // are logged under their own.
    for (id, name, internal) in [
        (1, "Discussions", false),
        (2, "Note", true),
        (3, "Activities", true),
    ] {
        add(
            "mail.message.subtype",
            json!({"id": id, "name": name, "internal": internal, "sequence": id}),
        );
    }

    for (id, (key, value)) in [
        ("database.create_date", INSTALLED_AT),
        ("database.uuid", "8f4c3e1e-5b1a-4c55-9d5e-0a1b2c3d4e5f"),
        ("database.secret", "simulated-not-a-real-secret"),
        ("web.base.url", "http://localhost:8069"),
        ("mail.catchall.domain", "example.com"),
    ]
    .into_iter()
    .enumerate()
    {
        add(
            "ir.config_parameter",
            json!({"id": id + 1, "key": key, "value": value}),
        );
    }
    out
}

/// (id, name, default_code, list_price, category, type)
const PRODUCTS: &[(i64, &str, &str, f64, i64, &str)] = &[
    (1, "Office Chair", "FURN_7777", 70.0, 3, "consu"),
    (2, "Office Lamp", "FURN_8888", 40.0, 3, "consu"),
    (3, "Desk Combination", "FURN_7800", 450.0, 3, "consu"),
    (4, "Large Cabinet", "E-COM07", 320.0, 3, "consu"),
    (5, "Large Desk", "E-COM09", 1799.0, 3, "consu"),
    (6, "Pedal Bin", "E-COM10", 47.0, 3, "consu"),
    (7, "Cabinet with Doors", "E-COM11", 140.0, 3, "consu"),
    (8, "Conference Chair", "E-COM12", 33.0, 3, "consu"),
    (9, "Corner Desk Right Sit", "E-COM06", 147.0, 3, "consu"),
    (10, "Virtual Home Staging", "SERV_001", 38.25, 4, "service"),
];

/// Who an order is sold to: a demo customer company (by index) or the portal user's partner.
enum Buyer {
    Customer(i64),
    Portal,
}

/// The salesperson: the demo database has orders of both, so `demo` sees only some of them.
enum Seller {
    Admin,
    Demo,
}

/// The portal user's partner (`Joel Willis`).
const PORTAL_PARTNER: i64 = 6;

/// (state, buyer, salesperson, "MM-DD", lines of (product id, quantity))
type Order = (
    &'static str,
    Buyer,
    Seller,
    &'static str,
    &'static [(i64, f64)],
);
const ORDERS: &[Order] = &[
    (
        "draft",
        Buyer::Customer(6),
        Seller::Demo,
        "01-12",
        &[(5, 1.0), (1, 4.0)],
    ),
    (
        "draft",
        Buyer::Customer(1),
        Seller::Admin,
        "01-19",
        &[(3, 2.0)],
    ),
    (
        "sent",
        Buyer::Customer(2),
        Seller::Demo,
        "02-03",
        &[(4, 1.0), (6, 3.0), (10, 5.0)],
    ),
    (
        "sale",
        Buyer::Customer(0),
        Seller::Admin,
        "02-16",
        &[(2, 10.0), (8, 12.0)],
    ),
    (
        "sale",
        Buyer::Customer(6),
        Seller::Demo,
        "03-02",
        &[(9, 2.0), (7, 1.0)],
    ),
    (
        "cancel",
        Buyer::Customer(3),
        Seller::Admin,
        "03-09",
        &[(1, 1.0)],
    ),
    ("sent", Buyer::Portal, Seller::Admin, "03-16", &[(2, 2.0)]),
    ("sale", Buyer::Portal, Seller::Admin, "03-23", &[(8, 4.0)]),
];

/// Seed activities: (model, record id, activity type, summary, deadline, user id).
pub(crate) fn activities(
    version: OdooVersion,
) -> Vec<(&'static str, i64, i64, &'static str, &'static str, i64)> {
    let demo = users(version)
        .iter()
        .find(|u| u.login == "demo")
        .map_or(6, |u| u.id);
    vec![
        (
            "res.partner",
            9,
            4,
            "Follow up on the quotation",
            "2026-02-01",
            2,
        ),
        (
            "sale.order",
            2,
            2,
            "Call to confirm the order",
            "2026-02-10",
            demo,
        ),
        (
            "sale.order",
            3,
            1,
            "Send the revised offer",
            "2026-03-15",
            2,
        ),
    ]
}

const QUOTE_FILE_NAME: &str = "(object.state in ('draft', 'sent') and 'Quotation - %s' % (object.name)) or 'Order - %s' % (object.name)";

/// The reports of `sale.order`, with the ids real Odoo 18 and 19 gave them: (id, name,
/// report_name, print_report_name). (The pro-forma one is restricted to the group "Pro-forma
/// Invoices", which the simulator does not have; reading it is not restricted.)
pub(crate) fn reports(
    version: OdooVersion,
) -> [(i64, &'static str, &'static str, &'static str); 3] {
    let first = match version {
        OdooVersion::V18 => 314,
        OdooVersion::V19 => 312,
    };
    [
        (first, "PDF Quote", "sale.report_saleorder", QUOTE_FILE_NAME),
        (
            first + 1,
            "PRO-FORMA Invoice",
            "sale.report_saleorder_pro_forma",
            "'PRO-FORMA - %s' % (object.name)",
        ),
        (
            349,
            "Quotation / Order",
            "sale.report_saleorder_raw",
            QUOTE_FILE_NAME,
        ),
    ]
}

/// Scheduled actions: (name, model, interval number, interval unit).
pub(crate) const CRONS: &[(&str, &str, i64, &str)] = &[
    ("Base: Auto-vacuum internal data", "res.partner", 1, "days"),
    ("Mail: Email Queue Manager", "mail.activity", 1, "hours"),
    ("Sales: Send pending emails", "sale.order", 1, "hours"),
];
