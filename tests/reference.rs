//! The references under `docs/reference/` are generated from the binary, as its man pages are: the CLI's from
//! every command's `--help`, the stack file's from `jwtstack schema`. Each test fails when the file in the
//! repository is not what the binary says now; `JWTSTACK_UPDATE_DOCS=1 cargo test --test e2e reference::`
//! writes them again.

use crate::common;

use std::path::PathBuf;

use serde_json::Value;

fn help(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = common::jwtstack_in(dir.path())
        .env("COLUMNS", "100")
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The file as generated, or a failure naming how to write it again.
fn holds(name: &str, generated: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/reference").join(name);
    if std::env::var_os("JWTSTACK_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/reference/{name} is out of date: JWTSTACK_UPDATE_DOCS=1 cargo test --test e2e reference:: writes it again"
    );
}

#[test]
fn the_cli_reference_is_the_binarys_help() {
    let mut doc = String::from(
        "# Command-line reference\n\nGenerated from `jwtstack --help` and each command's `--help` (`tests/reference.rs`); \
         the same text is in the man pages (`jwtstack man`). The guides say when to use what: [the README](../../README.md).\n",
    );
    doc.push_str(&format!("\n## jwtstack\n\n```text\n{}```\n", help(&[])));
    for cmd in common::COMMANDS {
        let args: Vec<&str> = cmd.split(' ').collect();
        doc.push_str(&format!("\n## jwtstack {cmd}\n\n```text\n{}```\n", help(&args)));
    }
    holds("cli.md", &doc);
}

/// One table row per field, nested fields under their parent's path (`issuer.cloudfront.domain`, `routes[].scopes`).
fn rows(defs: &Value, path: &str, node: &Value, required: bool, out: &mut Vec<String>) {
    let node = resolve(defs, node);
    let description = node
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .replace('\n', " ")
        .replace('|', "\\|");
    if !path.is_empty() {
        let req = if required { "yes" } else { "no" };
        out.push(format!("| `{path}` | {} | {req} | {description} |", kind(defs, node)));
    }
    fields(defs, node, path, out);
}

/// The fields under a node: an object's properties, a list's items' (`path[]`), each alternative's.
fn fields(defs: &Value, node: &Value, path: &str, out: &mut Vec<String>) {
    let node = resolve(defs, node);
    let needed: Vec<&str> = node
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (k, v) in node.get("properties").and_then(Value::as_object).into_iter().flatten() {
        let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
        rows(defs, &p, v, needed.contains(&k.as_str()), out);
    }
    if let Some(items) = node.get("items") {
        fields(defs, items, &format!("{path}[]"), out);
    }
    for alt in ["anyOf", "oneOf"] {
        for a in node.get(alt).and_then(Value::as_array).into_iter().flatten() {
            fields(defs, a, path, out);
        }
    }
}

fn resolve<'a>(defs: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(defs, &defs[r.trim_start_matches("#/$defs/")]),
        None => node,
    }
}

/// A field's type in words: its JSON type, its values, or its alternatives.
fn kind(defs: &Value, node: &Value) -> String {
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
    }
    if let Some(c) = node.get("const") {
        return format!("`{c}`");
    }
    for alt in ["anyOf", "oneOf"] {
        if let Some(list) = node.get(alt).and_then(Value::as_array) {
            let kinds: Vec<String> = list.iter().map(|a| kind(defs, resolve(defs, a))).collect();
            return kinds.join(" or ");
        }
    }
    match node.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!(
                "list of {}",
                node.get("items").map(|i| kind(defs, resolve(defs, i))).unwrap_or_default()
            )
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
        _ => "value".into(),
    }
}

#[test]
fn the_stack_file_reference_is_the_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::jwtstack_in(dir.path()).arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
    let mut table = Vec::new();
    rows(&defs, "", &schema, true, &mut table);
    assert!(table.len() > 40, "{} fields only", table.len());
    let doc = format!(
        "# Stack file reference\n\nGenerated from the stack file's JSON Schema (`jwtstack schema`, also \
         `stack.schema.json` for editors) by `tests/reference.rs`. What each part does, with examples: \
         [the stack file](../stack-file.md).\n\n| field | type | required | description |\n|---|---|---|---|\n{}\n",
        table.join("\n")
    );
    holds("stack-file.md", &doc);
}
