//! The crate's layers, checked: every top-level module of `src/` sits on one layer and imports
//! (`crate::…`, grouped imports included) only modules of lower layers, so the module graph
//! has no circle and reads bottom-up. A new module must be placed here, or this test fails.
//! Unit tests (from a file's `#[cfg(test)]` on) may import anything.

use std::collections::BTreeMap;
use std::path::Path;

/// Bottom to top. A module may import only modules of an earlier line.
const LAYERS: &[&[&str]] = &[
    // leaves: no import of the crate
    &[
        "clock", "locks", "secrets", "fault", "odoo", "catalog", "metrics", "webhook", "traces",
    ],
    &["values"],
    &["transport"],
    &["config", "store"],
    &["telemetry"],
    &["notify"],
    // domain
    &["connections", "users", "settings", "audit"],
    &["policy"],
    &["state"],
    &["calls", "web"],
    &["approvals"],
    // surfaces
    &["oauth"],
    &["mcp", "files"],
    &["console"],
    // the application
    &["jobs"],
    &["app"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules a piece of source names through `crate::`.
fn imported(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the first segment of each top-level item.
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        rest = &group[i..];
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_ascii_lowercase() || c == '_') => {
                        out.push(ident(&group[i..]));
                        item_start = false;
                    }
                    c if !c.is_whitespace() => item_start = false,
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Source without line comments and without the items marked `#[cfg(test)]` (an inline
/// `mod tests { … }` up to its closing brace, or a one-line `mod samples;`), wherever they are.
fn code(source: &str) -> String {
    let uncommented = source
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::new();
    let mut rest = uncommented.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        rest = &item[test_item_len(item)..];
    }
    out.push_str(rest);
    out
}

/// The length of the `#[cfg(test)]` item at the start of `item`: through the brace closing its
/// block, or its `;` when it has none.
fn test_item_len(item: &str) -> usize {
    let semi = item.find(';');
    let Some(open) = item
        .find('{')
        .filter(|open| semi.is_none_or(|semi| *open < semi))
    else {
        return semi.map_or(item.len(), |semi| semi + 1);
    };
    let mut depth = 0;
    for (i, c) in item[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => continue,
        }
        if depth == 0 {
            return open + i + 1;
        }
    }
    item.len()
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_imports_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unplaced = Vec::new();
    for path in &all {
        let relative = path.strip_prefix(&src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = top.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            unplaced.push(module);
            continue;
        };
        let source = std::fs::read_to_string(path).unwrap();
        for target in imported(&code(&source)) {
            if target == module {
                continue;
            }
            let upward = layer_of(&target).is_none_or(|theirs| theirs >= own);
            if upward {
                wrong
                    .entry(format!("{} -> {target}", relative.display()))
                    .or_default();
            }
        }
    }
    unplaced.sort();
    unplaced.dedup();
    assert!(
        unplaced.is_empty(),
        "modules on no layer (add them to LAYERS): {unplaced:?}"
    );
    let wrong: Vec<&String> = wrong.keys().collect();
    assert!(
        wrong.is_empty(),
        "imports of a module that is not lower: {wrong:#?}"
    );
}

#[test]
fn grouped_and_nested_imports_are_all_seen() {
    let names = imported(
        "use crate::{approvals, audit::outcome, calls::{self, Principal}};\n\
         let x = crate::policy::lines(&y); use crate::state::AppState;",
    );
    assert_eq!(names, ["approvals", "audit", "calls", "policy", "state"]);
    assert_eq!(
        code("use crate::a; // crate::b\n#[cfg(test)]\nuse crate::c;"),
        "use crate::a; \n"
    );
    let skipped = code(
        "#[cfg(test)]\nmod samples;\nuse crate::d;\n\
         #[cfg(test)]\nmod tests { fn f() { crate::e(); } }\nuse crate::f;",
    );
    assert_eq!(imported(&skipped), ["d", "f"], "{skipped}");
}
