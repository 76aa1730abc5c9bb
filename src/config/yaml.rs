//! The one place that knows YAML.
//!
//! Two passes over the text: a span pass (yaml-rust2's event parser) that rejects syntax errors, bounds nesting,
//! and records where every node sits, then a typed pass (serde_yaml) into the raw mirror. Swapping the YAML crate
//! means touching this file only.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, Parser};

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
            if let Some(Frame::Map { path, key }) = stack.last_mut() {
                if key.is_none() {
                    let Event::Scalar(name, ..) = &event else {
                        return Err(YamlError {
                            pos,
                            message: "a mapping key must be a plain string".into(),
                            hint: None,
                        });
                    };
                    let full = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                    loc.keys.insert(full, pos);
                    *key = Some(name.clone());
                    continue;
                }
            }
            let path = stack.last().map(Frame::child_path).unwrap_or_default();
            loc.values.entry(path.clone()).or_insert(pos);
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
    Some(format!(
        "add `{field}:` here; the README's \"The stack file\" section describes every field"
    ))
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
