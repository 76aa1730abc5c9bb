//! Plans as people read them (one line per resource, `+`/`~`/`-`) and as programs read them (`--json`). Each
//! kind renders its own steps ([`KindStep::lines`](super::KindStep::lines)); this is what they render into.

use serde::Serialize;

use super::{Diff, KindStep, Plan};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn sign(self) -> char {
        match self {
            Action::Create => '+',
            Action::Update => '~',
            Action::Delete => '-',
        }
    }
}

/// One line of a plan. The JSON form is a documented contract (README, "plan --json").
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ChangeJson {
    pub action: Action,
    pub resource: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diffs: Vec<Diff>,
}

impl ChangeJson {
    pub(crate) fn new(action: Action, resource: &'static str, name: impl Into<String>, diffs: Vec<Diff>) -> ChangeJson {
        ChangeJson {
            action,
            resource,
            name: name.into(),
            diffs,
        }
    }
}

/// A diff line that only shows what will be (`before` empty).
pub(crate) fn set(field: &str, after: impl Into<String>) -> Diff {
    Diff::new(field, "", after)
}

/// `[a, b]`.
pub(crate) fn list(v: &[impl AsRef<str>]) -> String {
    format!("[{}]", v.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", "))
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PlanJson {
    pub stack: String,
    pub region: String,
    pub changes: Vec<ChangeJson>,
    pub summary: Summary,
    pub notes: Vec<String>,
}

impl Plan {
    /// How many plan lines the first `steps` steps make (a key step can be several): progress, errors and
    /// the summary all count in lines.
    pub fn lines_before(&self, steps: usize) -> usize {
        self.steps[..steps.min(self.steps.len())].iter().map(|s| s.lines().len()).sum()
    }

    pub fn to_json(&self) -> PlanJson {
        let changes: Vec<ChangeJson> = self.steps.iter().flat_map(KindStep::lines).collect();
        let count = |a: Action| changes.iter().filter(|c| c.action == a).count();
        PlanJson {
            stack: self.stack.clone(),
            region: self.region.clone(),
            summary: Summary {
                create: count(Action::Create),
                update: count(Action::Update),
                delete: count(Action::Delete),
            },
            changes,
            notes: self.notes.clone(),
        }
    }
}

/// The human plan. `color` adds ANSI colours (green create, yellow update, red delete).
///
/// Every line's text is [`neutralize`](crate::text::neutralize)d before it is coloured: names and values read
/// from AWS cannot drive the terminal, and the colours are the only escape sequences in the result.
pub fn render_text(plan: &Plan, color: bool) -> String {
    use crate::text::{neutralize, printable};
    let json = plan.to_json();
    let mut out = String::new();
    let paint = |a: Action, s: &str| -> String {
        let s = neutralize(s);
        if !color {
            return s.into_owned();
        }
        let code = match a {
            Action::Create => "32",
            Action::Update => "33",
            Action::Delete => "31",
        };
        format!("\x1b[{code}m{s}\x1b[0m")
    };
    // Names and values can be AWS's (a name set by hand): each is printable, so none adds a line of its own.
    for c in &json.changes {
        out.push_str(&paint(
            c.action,
            &format!("  {} {} {}", c.action.sign(), c.resource, printable(&c.name)),
        ));
        out.push('\n');
        for diff in &c.diffs {
            let (field, after) = (printable(&diff.field), printable(&diff.after));
            if diff.before.is_empty() {
                out.push_str(&format!("      {field}: {after}\n"));
            } else {
                out.push_str(&format!("      {field}: {} -> {after}\n", printable(&diff.before)));
            }
        }
    }
    for n in &json.notes {
        out.push_str(&neutralize(&format!("  note: {n}")));
        out.push('\n');
    }
    if json.changes.is_empty() {
        out.push_str(&format!("No changes: AWS matches the stack `{}` in {}.\n", json.stack, json.region));
    } else {
        let s = &json.summary;
        out.push_str(&format!(
            "Plan for `{}` in {}: {} to create, {} to update, {} to delete.\n",
            json.stack, json.region, s.create, s.update, s.delete
        ));
    }
    out
}

/// One table cell of Markdown: the text as it reads, never as markup. Control characters are escaped as in
/// the text plan; `&`, `<` and `>` are written as HTML entities (no tag, comment or entity of a name reaches the
/// page) and every character GitHub's Markdown could read as syntax inside a cell (`|` ends it, `` ` ``, `*`,
/// `_`, `[` and `]` of a link or image, `~`, `$` of GitHub's maths, `\`) is backslash-escaped, as CommonMark
/// allows for any ASCII punctuation. `(`, `!` and `#` mean nothing without an escaped `[` or a line's start.
fn md_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::printable(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The plan as GitHub-flavoured Markdown, for a pull request's job summary or a comment: a heading, the count,
/// one table row per change with its fields, and the notes. Every name and value is escaped by [`md_cell`], so
/// a name set by hand in AWS cannot add a row, a link or markup.
pub fn render_markdown(plan: &Plan) -> String {
    let json = plan.to_json();
    let mut out = format!("### jwtstack plan: {} in {}\n\n", md_cell(&json.stack), md_cell(&json.region));
    if json.changes.is_empty() {
        out.push_str("No changes: AWS matches the stack.\n");
    } else {
        let s = &json.summary;
        out.push_str(&format!(
            "**{} to create, {} to update, {} to delete.**\n\n| change | resource | name | what changes |\n|---|---|---|---|\n",
            s.create, s.update, s.delete
        ));
        for c in &json.changes {
            let action = match c.action {
                Action::Create => "create",
                Action::Update => "update",
                Action::Delete => "**delete**",
            };
            let diffs: Vec<String> = c
                .diffs
                .iter()
                .map(|d| {
                    let (field, after) = (md_cell(&d.field), md_cell(&d.after));
                    if d.before.is_empty() {
                        format!("{field}: {after}")
                    } else {
                        format!("{field}: {} → {after}", md_cell(&d.before))
                    }
                })
                .collect();
            out.push_str(&format!(
                "| {action} | {} | {} | {} |\n",
                c.resource,
                md_cell(&c.name),
                diffs.join("<br>")
            ));
        }
    }
    if !json.notes.is_empty() {
        out.push('\n');
        for n in &json.notes {
            out.push_str(&format!("- {}\n", md_cell(n)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::md_cell;

    #[test]
    fn a_markdown_cell_reads_as_text_whatever_the_name() {
        assert_eq!(md_cell("GET /lists/{proxy+}"), "GET /lists/{proxy+}");
        // A row's end, a link, an image, a tag, an entity, maths, code and a line break stay text.
        assert_eq!(md_cell("a | b"), "a \\| b");
        assert_eq!(md_cell("[x](https://e.example)"), "\\[x\\](https://e.example)");
        assert_eq!(md_cell("![i](u)"), "!\\[i\\](u)");
        assert_eq!(md_cell("<img src=x onerror=y>"), "&lt;img src=x onerror=y&gt;");
        assert_eq!(md_cell("&amp;"), "&amp;amp;");
        assert_eq!(md_cell("$x$ `c` *b* _i_ ~s~ \\"), "\\$x\\$ \\`c\\` \\*b\\* \\_i\\_ \\~s\\~ \\\\");
        // printable writes `\u{a}`; its backslash is escaped so that the page shows it.
        assert_eq!(md_cell("one\nrow"), "one\\\\u{a}row");
    }
}
