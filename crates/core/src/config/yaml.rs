//! The one place that knows YAML.
//!
//! Two passes over the text: a span pass (yaml-rust2's event parser) that rejects syntax errors, bounds nesting,
//! and records where every node sits, then a typed pass (serde_yaml) into the raw mirror. Swapping the YAML crate
//! means touching this file only.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// The largest stack file we read. A real stack of 300 routes is about 40 KiB.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Deeper than any valid stack file (the deepest legal path is 4 levels).
const MAX_DEPTH: usize = 32;
/// Anchors are allowed, but a file that aliases more than this is rejected before expansion.
const MAX_ALIASES: usize = 100;

/// A 1-based line and column in the stack file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// A problem found while reading YAML, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
    pub hint: Option<String>,
}

/// Where each node of the document is, by path (`issuer.bucket`, `routes[2].scopes[0]`).
#[derive(Debug, Default, Clone)]
pub struct Locator {
    values: BTreeMap<String, Pos>,
    keys: BTreeMap<String, Pos>,
}

impl Locator {
    /// The position of the value at `path`, or of the closest ancestor that exists (for a missing field, the
    /// mapping that should hold it).
    pub fn value(&self, path: &str) -> Pos {
        let mut p = path.to_string();
        loop {
            if let Some(pos) = self.values.get(&p) {
                return *pos;
            }
            match parent(&p) {
                Some(up) => p = up,
                None => return self.values.get("").copied().unwrap_or(Pos { line: 1, col: 1 }),
            }
        }
    }

    /// The position of the key naming `path`, falling back to its value.
    pub fn key(&self, path: &str) -> Pos {
        self.keys.get(path).copied().unwrap_or_else(|| self.value(path))
    }
}

fn parent(path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(path[..cut].to_string())
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, index: usize },
}

impl Frame {
    /// Path of the node that comes next inside this container.
    fn child_path(&self) -> String {
        match self {
            Frame::Map { path, key } => {
                let key = key.as_deref().unwrap_or("");
                if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                }
            }
            Frame::Seq { path, index } => format!("{path}[{index}]"),
        }
    }
}

/// Span pass: checks syntax and records positions.
pub fn locate(text: &str) -> Result<Locator, YamlError> {
    let mut loc = Locator::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut aliases = 0usize;
    let mut documents = 0usize;
    let mut parser = Parser::new_from_str(text);
    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError {
            pos: Pos {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            },
            message: format!("YAML syntax error: {}", e.info()),
            hint: Some("check the indentation and quoting on this line".into()),
        })?;
        let pos = Pos {
            line: mark.line(),
            col: mark.col() + 1,
        };
        // A node: either a key of the enclosing mapping, or a value.
        let is_node = matches!(
            event,
            Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) | Event::Alias(..)
        );
        if is_node {
            if let Some(Frame::Map { path, key }) = stack.last_mut()
                && key.is_none()
            {
                let Event::Scalar(name, ..) = &event else {
                    return Err(YamlError {
                        pos,
                        message: "a mapping key must be a plain string".into(),
                        hint: None,
                    });
                };
                if let Some(c) = name.chars().find(|c| c.is_control()) {
                    return Err(control_character(pos, "a key", c));
                }
                let full = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                loc.keys.insert(full, pos);
                *key = Some(name.clone());
                continue;
            }
            let path = stack.last().map(Frame::child_path).unwrap_or_default();
            loc.values.entry(path.clone()).or_insert(pos);
            // Inside the document, a value that is not there (`scopes:`, `~`, `null`) or carries a tag (`!Ref x`,
            // `!!binary`) would be read as a default or as text: for `scopes` that means any token passes, for
            // `public` a public bucket. Neither is what anyone meant, so both are refused where they stand.
            if let (false, Event::Scalar(value, style, _, tag)) = (stack.is_empty(), &event) {
                // A control character (ESC, BEL, C1...) in a value would reach every terminal that shows it
                // (`plan`, errors); line breaks and tabs are left to the rules of each field.
                if let Some(c) = value.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\t')) {
                    return Err(control_character(pos, &format!("`{path}`"), c));
                }
                if let Some(tag) = tag {
                    return Err(YamlError {
                        pos,
                        message: format!("`{path}` has the YAML tag `{}{}`; a stack file has no tags", tag.handle, tag.suffix),
                        hint: Some("write the value itself (tags such as !Ref belong to other tools)".into()),
                    });
                }
                if *style == TScalarStyle::Plain && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL") {
                    // An empty value has no position of its own (the parser marks the next token): show its key.
                    let at = if value.is_empty() {
                        loc.keys.get(&path).copied().unwrap_or(pos)
                    } else {
                        pos
                    };
                    return Err(YamlError {
                        pos: at,
                        message: format!("`{path}` has no value"),
                        hint: Some("write a value, or remove the line for the default; an empty list is written []".into()),
                    });
                }
            }
            match event {
                Event::MappingStart(..) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(YamlError {
                            pos,
                            message: format!("the document is nested deeper than {MAX_DEPTH} levels"),
                            hint: Some("a stack file is at most 4 levels deep".into()),
                        });
                    }
                    stack.push(Frame::Map { path, key: None });
                    continue;
                }
                Event::SequenceStart(..) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(YamlError {
                            pos,
                            message: format!("the document is nested deeper than {MAX_DEPTH} levels"),
                            hint: Some("a stack file is at most 4 levels deep".into()),
                        });
                    }
                    stack.push(Frame::Seq { path, index: 0 });
                    continue;
                }
                Event::Alias(..) => {
                    aliases += 1;
                    if aliases > MAX_ALIASES {
                        return Err(YamlError {
                            pos,
                            message: format!("more than {MAX_ALIASES} YAML aliases"),
                            hint: Some("write the values out instead of aliasing them".into()),
                        });
                    }
                }
                _ => {}
            }
            advance(&mut stack);
            continue;
        }
        match event {
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                advance(&mut stack);
            }
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError {
                        pos,
                        message: "the file holds more than one YAML document".into(),
                        hint: Some("a stack file is one document: remove the second `---`".into()),
                    });
                }
            }
            Event::StreamEnd => break,
            _ => {}
        }
    }
    Ok(loc)
}

fn control_character(pos: Pos, what: &str, c: char) -> YamlError {
    YamlError {
        pos,
        message: format!(
            "{what} holds the control character U+{:04X}; a stack file is printable text",
            c as u32
        ),
        hint: Some("remove it (an editor may show it as ^[ or ^G, or not at all)".into()),
    }
}

/// After a complete node: a mapping waits for its next key, a sequence moves to its next index.
fn advance(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Map { key, .. }) => *key = None,
        Some(Frame::Seq { index, .. }) => *index += 1,
        None => {}
    }
}

/// Typed pass: deserializes `T`, turning serde_yaml's message into a positioned error with a hint.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|e| {
        let pos = e
            .location()
            .map(|l| Pos {
                line: l.line(),
                col: l.column(),
            })
            .unwrap_or(Pos { line: 1, col: 1 });
        let raw = e.to_string();
        // serde_yaml appends " at line L column C"; we print the position ourselves.
        let message = match raw.find(" at line ") {
            Some(i) => raw[..i].to_string(),
            None => raw,
        };
        let message = plain_types(&message);
        let hint = unknown_field_hint(&message).or_else(|| missing_field_hint(&message));
        YamlError { pos, message, hint }
    })
}

/// serde speaks of Rust types; the user wrote YAML.
fn plain_types(message: &str) -> String {
    let mut m = message.to_string();
    for (rust, yaml) in [
        (
            "expected struct RawStack",
            "expected a mapping of stack fields (name, issuer, key_id, ...)",
        ),
        (
            "expected struct RawIssuer",
            "expected a mapping with `bucket` (and optionally `url`, `public`)",
        ),
        ("expected struct RawApi", "expected a mapping with `name` or `id`"),
        (
            "expected struct RawRoute",
            "expected a mapping with `route`, `scopes` and `integration`",
        ),
        ("expected struct RawIntegration", "expected a mapping with `http` or `lambda`"),
        ("untagged enum RawDuration", "a duration (seconds, or 15m, 1h, 1d)"),
        ("expected u32", "expected a whole number"),
        ("expected a sequence", "expected a list"),
        ("unit value", "nothing"),
    ] {
        m = m.replace(rust, yaml);
    }
    m
}

fn missing_field_hint(message: &str) -> Option<String> {
    let field = message.split("missing field `").nth(1)?.split('`').next()?;
    Some(format!("add `{field}:` here; docs/stack-file.md describes every field"))
}

/// serde's unknown-field message lists the expected names; suggest the nearest one.
fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let (field, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let best = expected
        .iter()
        .map(|cand| (strsim::damerau_levenshtein(field, cand), *cand))
        .min()?;
    if best.0 <= 3 {
        Some(format!("did you mean `{}`?", best.1))
    } else {
        Some(format!("the fields allowed here are: {}", expected.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_follow_paths() {
        let text = "name: x\nroutes:\n  - route: GET /a\n    scopes: [a, b]\n";
        let loc = locate(text).unwrap();
        assert_eq!(loc.value("name"), Pos { line: 1, col: 7 });
        assert_eq!(loc.key("name"), Pos { line: 1, col: 1 });
        assert_eq!(loc.value("routes[0].route"), Pos { line: 3, col: 12 });
        assert_eq!(loc.value("routes[0].scopes[1]"), Pos { line: 4, col: 17 });
        // A missing path falls back to its closest ancestor.
        assert_eq!(loc.value("routes[0].integration"), loc.value("routes[0]"));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = locate("name: [a\nregion: b\n").unwrap_err();
        assert!(err.message.starts_with("YAML syntax error"), "{err:?}");
        assert!(err.pos.line >= 1);
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let text = "[".repeat(200) + &"]".repeat(200);
        let err = locate(&text).unwrap_err();
        assert!(err.message.contains("nested deeper"), "{err:?}");
    }

    #[test]
    fn alias_bombs_are_rejected() {
        let mut text = String::from("a: &a [x, x]\n");
        for i in 0..12 {
            text.push_str(&format!("b{i}: &b{i} [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"));
        }
        let err = locate(&text).unwrap_err();
        assert!(err.message.contains("aliases"), "{err:?}");
    }

    #[test]
    fn unknown_field_suggests_nearest() {
        let hint = unknown_field_hint("unknown field `audiance`, expected one of `name`, `audience`, `routes`");
        assert_eq!(hint.as_deref(), Some("did you mean `audience`?"));
    }
}

/// Why a stack file could not be edited in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError(pub String);

/// A YAML scalar for a plain string value: as is when YAML reads it back as the same string, else quoted.
pub fn scalar(value: &str) -> String {
    // Plain when YAML reads the text back as this very string (route keys such as `GET /a/{id}` included).
    let plain_safe = !value.is_empty()
        && value.trim() == value
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.chars().any(|c| c.is_control() || matches!(c, '"' | '\'' | '\\'))
        && !value.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`', '.',
        ])
        && serde_yaml::from_str::<serde_yaml::Value>(value).is_ok_and(|v| v.as_str() == Some(value));
    if plain_safe {
        value.to_string()
    } else {
        serde_json::to_string(value).unwrap_or_default()
    }
}

/// A flow sequence of strings: `[a, b]`.
pub fn flow_list(values: &[String]) -> String {
    format!("[{}]", values.iter().map(|v| scalar(v)).collect::<Vec<_>>().join(", "))
}

/// Sets, adds or removes one top-level field of a block-mapping stack file, keeping every other byte:
/// comments, blank lines, key order and the rest of the field's line (an inline comment stays).
///
/// `value` is YAML text for the value (a scalar or a flow list) or `None` to remove the field. A new field
/// goes right after the field `after`. A field written over several lines (a block list) is replaced whole.
pub fn set_top_level(text: &str, key: &str, value: Option<&str>, after: &str) -> Result<String, EditError> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let entry = |name: &str| top_level_entry(&lines, name);
    match (entry(key)?, value) {
        (None, None) => Ok(text.to_string()),
        (None, Some(v)) => {
            let Some((_, end)) = entry(after)? else {
                return Err(EditError(format!("no top-level `{after}` field to add `{key}` after")));
            };
            let mut out: String = lines[..end].concat();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("{key}: {v}\n"));
            out.push_str(&lines[end..].concat());
            Ok(out)
        }
        (Some((start, end)), None) => Ok(lines[..start].concat() + &lines[end..].concat()),
        (Some((start, end)), Some(v)) => {
            let first = lines[start];
            let rest = &first[key.len() + 1..];
            let token = value_token(rest);
            let replaced = match token {
                // One line holding the whole value: replace the value only.
                Some((from, to)) if end == start + 1 => {
                    let at = key.len() + 1;
                    format!("{}{v}{}", &first[..at + from], &first[at + to..])
                }
                _ => {
                    let newline = if first.ends_with('\n') { "\n" } else { "" };
                    format!("{key}: {v}{newline}")
                }
            };
            Ok(lines[..start].concat() + &replaced + &lines[end..].concat())
        }
    }
}

/// The lines `[start, end)` of a top-level field: its key line and the indented lines under it, without the
/// blank and comment lines that precede the next field. An error when the file is not a block mapping whose
/// keys start in column 1, or names the field twice.
fn top_level_entry(lines: &[&str], key: &str) -> Result<Option<(usize, usize)>, EditError> {
    let is_key_line = |l: &str, k: &str| {
        l.strip_prefix(k)
            .is_some_and(|rest| rest.starts_with(':') && (rest.len() == 1 || rest[1..].starts_with([' ', '\n', '\r', '\t'])))
    };
    let starts: Vec<usize> = (0..lines.len()).filter(|&i| is_key_line(lines[i], key)).collect();
    let Some(&start) = starts.first() else {
        if lines
            .iter()
            .any(|l| l.trim_start().starts_with(&format!("{key}:")) || l.contains(&format!("{{{key}:")))
        {
            return Err(EditError(format!("`{key}` is not written as a top-level `{key}: ...` line")));
        }
        return Ok(None);
    };
    if starts.len() > 1 {
        return Err(EditError(format!("`{key}` appears more than once at the top level")));
    }
    let mut end = start + 1;
    while end < lines.len() {
        let l = lines[end];
        let top = !l.starts_with([' ', '\t', '#', '\n', '\r']);
        if top {
            break;
        }
        end += 1;
    }
    // Blank and comment lines just before the next field belong to it.
    while end > start + 1 && {
        let t = lines[end - 1].trim();
        t.is_empty() || t.starts_with('#')
    } {
        end -= 1;
    }
    Ok(Some((start, end)))
}

/// Where the value sits in the text after `key:` on its line: a plain or quoted scalar or a one-line flow
/// list, up to an inline comment. `None` when the value is not on this line.
fn value_token(rest: &str) -> Option<(usize, usize)> {
    let body = rest.trim_end_matches(['\n', '\r']);
    let from = body.len() - body.trim_start().len();
    let v = &body[from..];
    if v.is_empty() || v.starts_with('#') {
        return None;
    }
    let len = match v.as_bytes()[0] {
        b'"' => v[1..].find('"').map(|i| i + 2)?,
        b'\'' => v[1..].find('\'').map(|i| i + 2)?,
        b'[' => v.find(']').map(|i| i + 1)?,
        b'{' | b'|' | b'>' | b'&' | b'*' | b'!' => return None,
        _ => v.find(" #").unwrap_or(v.len()),
    };
    let token = v[..len].trim_end();
    Some((from, from + token.len()))
}

#[cfg(test)]
mod edit_tests {
    use super::*;

    const FILE: &str = "# head\nname: x   # the name\nkey_id: k1   # signing\n\n# routes below\nroutes:\n  - a\n";

    #[test]
    fn replaces_a_value_and_keeps_the_comment() {
        let out = set_top_level(FILE, "key_id", Some("k2"), "name").unwrap();
        assert_eq!(out, FILE.replace("key_id: k1", "key_id: k2"));
    }

    #[test]
    fn adds_after_a_field_and_removes_again() {
        let out = set_top_level(FILE, "next_key", Some("k2"), "key_id").unwrap();
        assert_eq!(out, FILE.replace("# signing\n", "# signing\nnext_key: k2\n"));
        assert_eq!(set_top_level(&out, "next_key", None, "key_id").unwrap(), FILE);
    }

    #[test]
    fn a_block_list_is_replaced_whole_and_comments_before_the_next_field_stay() {
        let text = "key_id: k3\nprevious_keys:\n  - k1\n  # old\n  - k2\n# the audience\naudience: [a]\n";
        let out = set_top_level(text, "previous_keys", Some("[k2]"), "key_id").unwrap();
        assert_eq!(out, "key_id: k3\nprevious_keys: [k2]\n# the audience\naudience: [a]\n");
        let out = set_top_level(text, "previous_keys", None, "key_id").unwrap();
        assert_eq!(out, "key_id: k3\n# the audience\naudience: [a]\n");
    }

    #[test]
    fn quoted_and_flow_values() {
        let text = "key_id: \"k 1\" # q\nprevious_keys: [a, b] # old ones\n";
        let out = set_top_level(text, "key_id", Some("k2"), "name").unwrap();
        assert_eq!(out, "key_id: k2 # q\nprevious_keys: [a, b] # old ones\n");
        let out = set_top_level(text, "previous_keys", Some("[b]"), "key_id").unwrap();
        assert_eq!(out, "key_id: \"k 1\" # q\nprevious_keys: [b] # old ones\n");
    }

    #[test]
    fn refuses_what_it_cannot_edit_safely() {
        assert!(set_top_level("{key_id: k1}\n", "key_id", Some("k2"), "name").is_err());
        assert!(set_top_level("key_id: a\nkey_id: b\n", "key_id", Some("k2"), "name").is_err());
        assert!(set_top_level("name: x\n", "next_key", Some("k2"), "key_id").is_err());
    }

    #[test]
    fn scalars_that_yaml_would_retype_are_quoted() {
        assert_eq!(scalar("grocery-2026-11"), "grocery-2026-11");
        assert_eq!(scalar("GET /orders/{id}"), "GET /orders/{id}");
        assert_eq!(scalar("$default"), "$default");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("{x}"), "\"{x}\"");
        assert_eq!(scalar("2026"), "\"2026\"");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("1.5"), "\"1.5\"");
        assert_eq!(flow_list(&["a".into(), "null".into()]), "[a, \"null\"]");
    }
}
