//! Rotation's edits of a stack file: the key fields rewritten in place, comments and formatting kept.

use super::yaml::{self, Pos};
use super::{ConfigError, Hosted, Issuer, Stack, parse_str};

/// The key fields of a stack file, as rotation rewrites them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFields {
    pub key_id: String,
    pub next_key: Option<String>,
    pub previous_keys: Vec<String>,
}

impl KeyFields {
    pub fn of(hosted: &Hosted) -> KeyFields {
        KeyFields {
            key_id: hosted.key_id.clone(),
            next_key: hosted.next_key.clone(),
            previous_keys: hosted.previous_keys.clone(),
        }
    }
}

/// Rewrites the key fields of a stack file's text, keeping comments and formatting, and checks the result:
/// it must validate and differ from `before` in the key fields only. Returns the new text and stack.
pub fn edit_keys(file: &str, text: &str, before: &Stack, fields: &KeyFields) -> Result<(String, Stack), ConfigError> {
    let refuse = |why: String| {
        ConfigError::single(
            file,
            Pos { line: 1, col: 1 },
            format!("cannot edit the key fields in place: {why}"),
            Some(format!(
                "edit the file by hand: key_id: {}, next_key: {}, previous_keys: {}",
                fields.key_id,
                fields.next_key.as_deref().unwrap_or("(none)"),
                yaml::flow_list(&fields.previous_keys)
            )),
        )
    };
    let mut out = yaml::set_top_level(text, "key_id", Some(&yaml::scalar(&fields.key_id)), "name").map_err(|e| refuse(e.0))?;
    let next = fields.next_key.as_deref().map(yaml::scalar);
    out = yaml::set_top_level(&out, "next_key", next.as_deref(), "key_id").map_err(|e| refuse(e.0))?;
    let previous = (!fields.previous_keys.is_empty()).then(|| yaml::flow_list(&fields.previous_keys));
    let after = if fields.next_key.is_some() { "next_key" } else { "key_id" };
    out = yaml::set_top_level(&out, "previous_keys", previous.as_deref(), after).map_err(|e| refuse(e.0))?;
    // Lines the edit wrote end like the file's own (a file written on Windows keeps its CRLF endings).
    if text.contains("\r\n") {
        out = out.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    let stack = parse_str(file, &out)?;
    let mut expected = before.clone();
    if let Issuer::Hosted(h) = &mut expected.issuer {
        h.key_id = fields.key_id.clone();
        h.next_key = fields.next_key.clone();
        h.previous_keys = fields.previous_keys.clone();
    }
    if stack != expected {
        return Err(refuse("the edited file would read differently".into()));
    }
    Ok((out, stack))
}
