//! Recorded response bodies of real Odoo 18.0 and 19.0, for the parsing and classification
//! tests: the data files under `samples/` (written from `reference/odoo-wire-samples.md` by
//! `scripts/extract-wire-samples`), which the simulator's replay test reads too.

/// 18 1. common.version (/jsonrpc) — Response: HTTP 200
pub const V18_01: &str = include_str!("../samples/18/01-response.json");

/// 18 2. common.authenticate (/jsonrpc) - success — Response: HTTP 200
pub const V18_02: &str = include_str!("../samples/18/02-response.json");

/// 18 3. common.authenticate (/jsonrpc) - wrong password — Response: HTTP 200
pub const V18_03: &str = include_str!("../samples/18/03-response.json");

/// 18 7. execute_kw res.partner search_read — Response: HTTP 200
pub const V18_07: &str = include_str!("../samples/18/07-response.json");

/// 18 9. execute_kw res.partner read — Response: HTTP 200
pub const V18_09: &str = include_str!("../samples/18/09-response.json");

/// 18 10. execute_kw res.partner create — Response: HTTP 200
pub const V18_10: &str = include_str!("../samples/18/10-response.json");

/// 18 11. execute_kw res.partner create (list of dicts) — Response: HTTP 200
pub const V18_11: &str = include_str!("../samples/18/11-response.json");

/// 18 12. execute_kw res.partner write — Response: HTTP 200
pub const V18_12: &str = include_str!("../samples/18/12-response.json");

/// 18 14. execute_kw read of a deleted record — Response: HTTP 200
pub const V18_14: &str = include_str!("../samples/18/14-response.json");

/// 18 15. execute_kw write on a deleted record (MissingError) — Response: HTTP 200
pub const V18_15: &str = include_str!("../samples/18/15-response.json");

/// 18 17. execute_kw as non-admin - forbidden model (AccessError) — Response: HTTP 200
pub const V18_17: &str = include_str!("../samples/18/17-response.json");

/// 18 18. execute_kw as non-admin - forbidden create res.users (AccessError) — Response: HTTP 200
pub const V18_18: &str = include_str!("../samples/18/18-response.json");

/// 18 19. execute_kw with wrong password (AccessDenied) — Response: HTTP 200
pub const V18_19: &str = include_str!("../samples/18/19-response.json");

/// 18 20. execute_kw on a missing model — Response: HTTP 200
pub const V18_20: &str = include_str!("../samples/18/20-response.json");

/// 18 21. execute_kw unknown method on a model — Response: HTTP 200
pub const V18_21: &str = include_str!("../samples/18/21-response.json");

/// 18 22. execute_kw private method (AccessError) — Response: HTTP 200
pub const V18_22: &str = include_str!("../samples/18/22-response.json");

/// 18 23. execute_kw invalid field in domain (ValueError) — Response: HTTP 200
pub const V18_23: &str = include_str!("../samples/18/23-response.json");

/// 18 24. execute_kw validation error - python constraint (ValidationError) — Response: HTTP 200
pub const V18_24: &str = include_str!("../samples/18/24-response.json");

/// 18 25. execute_kw validation error - mandatory field missing — Response: HTTP 200
pub const V18_25: &str = include_str!("../samples/18/25-response.json");

/// 18 26. execute_kw UserError (unique login) — Response: HTTP 200
pub const V18_26: &str = include_str!("../samples/18/26-response.json");

/// 18 28. /web/dataset/call_kw without a session (SessionExpired) — Response: HTTP 200
pub const V18_28: &str = include_str!("../samples/18/28-response.json");

/// 18 29. /jsonrpc unknown service — Response: HTTP 200
pub const V18_29: &str = include_str!("../samples/18/29-response.json");

/// 18 30. /jsonrpc malformed JSON body — Response: HTTP 400, Content-Type: text/html; charset=utf-8
pub const V18_30: &str = include_str!("../samples/18/30-response.json");

/// 19 1. common.version (/jsonrpc) — Response: HTTP 200
pub const V19_01: &str = include_str!("../samples/19/01-response.json");

/// 19 2. common.authenticate (/jsonrpc) - success — Response: HTTP 200
pub const V19_02: &str = include_str!("../samples/19/02-response.json");

/// 19 3. common.authenticate (/jsonrpc) - wrong password — Response: HTTP 200
pub const V19_03: &str = include_str!("../samples/19/03-response.json");

/// 19 7. execute_kw res.partner search_read — Response: HTTP 200
pub const V19_07: &str = include_str!("../samples/19/07-response.json");

/// 19 9. execute_kw res.partner read — Response: HTTP 200
pub const V19_09: &str = include_str!("../samples/19/09-response.json");

/// 19 10. execute_kw res.partner create — Response: HTTP 200
pub const V19_10: &str = include_str!("../samples/19/10-response.json");

/// 19 11. execute_kw res.partner create (list of dicts) — Response: HTTP 200
pub const V19_11: &str = include_str!("../samples/19/11-response.json");

/// 19 12. execute_kw res.partner write — Response: HTTP 200
pub const V19_12: &str = include_str!("../samples/19/12-response.json");

/// 19 14. execute_kw read of a deleted record — Response: HTTP 200
pub const V19_14: &str = include_str!("../samples/19/14-response.json");

/// 19 15. execute_kw write on a deleted record (MissingError) — Response: HTTP 200
pub const V19_15: &str = include_str!("../samples/19/15-response.json");

/// 19 17. execute_kw as non-admin - forbidden model (AccessError) — Response: HTTP 200
pub const V19_17: &str = include_str!("../samples/19/17-response.json");

/// 19 18. execute_kw as non-admin - forbidden create res.users (AccessError) — Response: HTTP 200
pub const V19_18: &str = include_str!("../samples/19/18-response.json");

/// 19 19. execute_kw with wrong password (AccessDenied) — Response: HTTP 200
pub const V19_19: &str = include_str!("../samples/19/19-response.json");

/// 19 20. execute_kw on a missing model — Response: HTTP 200
pub const V19_20: &str = include_str!("../samples/19/20-response.json");

/// 19 21. execute_kw unknown method on a model — Response: HTTP 200
pub const V19_21: &str = include_str!("../samples/19/21-response.json");

/// 19 22. execute_kw private method (AccessError) — Response: HTTP 200
pub const V19_22: &str = include_str!("../samples/19/22-response.json");

/// 19 23. execute_kw invalid field in domain (ValueError) — Response: HTTP 200
pub const V19_23: &str = include_str!("../samples/19/23-response.json");

/// 19 24. execute_kw validation error - python constraint (ValidationError) — Response: HTTP 200
pub const V19_24: &str = include_str!("../samples/19/24-response.json");

/// 19 25. execute_kw validation error - mandatory field missing — Response: HTTP 200
pub const V19_25: &str = include_str!("../samples/19/25-response.json");

/// 19 26. execute_kw UserError (unique login) — Response: HTTP 200
pub const V19_26: &str = include_str!("../samples/19/26-response.json");

/// 19 28. /web/dataset/call_kw without a session (SessionExpired) — Response: HTTP 200
pub const V19_28: &str = include_str!("../samples/19/28-response.json");

/// 19 29. /jsonrpc unknown service — Response: HTTP 200
pub const V19_29: &str = include_str!("../samples/19/29-response.json");

/// 19 30. /jsonrpc malformed JSON body — Response: HTTP 400, Content-Type: text/html; charset=utf-8
pub const V19_30: &str = include_str!("../samples/19/30-response.json");

/// 19 42. /json/2 search_read — Response: HTTP 200, Content-Type: application/json; charset=utf-8
pub const V19_42: &str = include_str!("../samples/19/42-response.json");

/// 19 43. /json/2 read — Response: HTTP 200, Content-Type: application/json; charset=utf-8
pub const V19_43: &str = include_str!("../samples/19/43-response.json");

/// 19 44. /json/2 create — Response: HTTP 200, Content-Type: application/json; charset=utf-8
pub const V19_44: &str = include_str!("../samples/19/44-response.json");

/// 19 45. /json/2 write — Response: HTTP 200, Content-Type: application/json; charset=utf-8
pub const V19_45: &str = include_str!("../samples/19/45-response.json");

/// 19 46. /json/2 unlink — Response: HTTP 200, Content-Type: application/json; charset=utf-8
pub const V19_46: &str = include_str!("../samples/19/46-response.json");

/// 19 47. /json/2 fields_get (trimmed) — Response: HTTP 200, Content-Type: application/json; charset=utf-8
pub const V19_47: &str = include_str!("../samples/19/47-response.json");

/// 19 48. /json/2 missing model — Response: HTTP 404, Content-Type: application/json; charset=utf-8
pub const V19_48: &str = include_str!("../samples/19/48-response.json");

/// 19 49. /json/2 unknown method — Response: HTTP 404, Content-Type: application/json; charset=utf-8
pub const V19_49: &str = include_str!("../samples/19/49-response.json");

/// 19 50. /json/2 validation error — Response: HTTP 422, Content-Type: application/json; charset=utf-8
pub const V19_50: &str = include_str!("../samples/19/50-response.json");

/// 19 51. /json/2 wrong API key — Response: HTTP 401, WWW-Authenticate: Bearer , Content-Type: application/json; charset=utf-8
pub const V19_51: &str = include_str!("../samples/19/51-response.json");

/// 19 52. /json/2 no Authorization header — Response: HTTP 401, WWW-Authenticate: Bearer , Content-Type: application/json; charset=utf-8
pub const V19_52: &str = include_str!("../samples/19/52-response.json");

/// 19 53. /json/2 ids given to an @api.model method — Response: HTTP 422, Content-Type: application/json; charset=utf-8
pub const V19_53: &str = include_str!("../samples/19/53-response.json");

/// 19 54. /json/2 unexpected keyword argument — Response: HTTP 500, Content-Type: application/json; charset=utf-8
pub const V19_54: &str = include_str!("../samples/19/54-response.json");

/// 19 55. /json/2 private method — Response: HTTP 403, Content-Type: application/json; charset=utf-8
pub const V19_55: &str = include_str!("../samples/19/55-response.json");

/// 19 56. /json/2 as non-admin - forbidden model (AccessError) — Response: HTTP 403, Content-Type: application/json; charset=utf-8
pub const V19_56: &str = include_str!("../samples/19/56-response.json");
