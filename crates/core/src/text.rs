//! Text from outside (AWS's answers, log events, tokens, files) made safe for a terminal, and files read
//! through a bound.

use std::io::Read;
use std::path::Path;

/// `s` with every control character (C0 including line breaks and tabs, DEL, C1) written as `\u{1b}`: a
/// value from outside can neither move the cursor, set a title or clear the screen (ESC, OSC, CSI) nor forge
/// a line of its own.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Text about to be written to a terminal or a pipe, whose own line breaks and tabs are kept: every other
/// control character is written `\u00XX`, which reads the same in a JSON string (where serde already escapes
/// C0 but passes DEL and C1 through) and in plain text.
pub fn neutralize(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if unsafe_char(c) {
                    format!("\\u{:04x}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// A URL as it may be shown: a user name and password in it (`http://admin:s3cret@host`) become `***`.
pub fn redact_user_info(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..scheme_end], &rest[at..]),
        None => url.to_string(),
    }
}

/// Reads at most `limit` bytes of the file at `path`; a larger file (or `/dev/zero`) is an error that says
/// so, after reading `limit + 1` bytes and no more.
pub fn read_bounded(path: &Path, limit: usize) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {limit} bytes, the most read from such a file"),
        ));
    }
    Ok(bytes)
}

/// [`read_bounded`] as UTF-8 text.
pub fn read_bounded_string(path: &Path, limit: usize) -> std::io::Result<String> {
    String::from_utf8(read_bounded(path, limit)?).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_every_control_character() {
        assert_eq!(printable("admin"), "admin");
        assert_eq!(printable("a\nb"), "a\\u{a}b");
        assert_eq!(printable("\u{1b}]0;title\u{7}"), "\\u{1b}]0;title\\u{7}");
        assert_eq!(printable("x\u{9b}2J\u{7f}"), "x\\u{9b}2J\\u{7f}");
        assert_eq!(printable("ünïcode ✓"), "ünïcode ✓");
    }

    #[test]
    fn neutralize_keeps_lines_and_tabs() {
        assert_eq!(neutralize("a\n\tb"), "a\n\tb");
        assert_eq!(neutralize("\u{1b}[2J"), "\\u001b[2J");
        assert_eq!(neutralize("{\"s\":\"\u{9b}\"}"), "{\"s\":\"\\u009b\"}");
        let json: serde_json::Value = serde_json::from_str(&neutralize("{\"s\":\"x\u{9b}\u{7f}\"}")).unwrap();
        assert_eq!(json["s"], "x\u{9b}\u{7f}");
    }

    #[test]
    fn user_info_is_redacted() {
        assert_eq!(
            redact_user_info("http://admin:s3cret@127.0.0.1:5000/x"),
            "http://***@127.0.0.1:5000/x"
        );
        assert_eq!(redact_user_info("https://u@h"), "https://***@h");
        assert_eq!(redact_user_info("https://h/a@b"), "https://h/a@b");
        assert_eq!(redact_user_info("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert_eq!(redact_user_info("not a url"), "not a url");
    }

    #[test]
    fn reads_stop_at_the_bound() {
        let dir = std::env::temp_dir().join(format!("jwtstack-text-{}", std::process::id()));
        std::fs::write(&dir, vec![b'a'; 11]).unwrap();
        assert_eq!(read_bounded(&dir, 11).unwrap().len(), 11);
        assert!(read_bounded(&dir, 10).unwrap_err().to_string().contains("larger than 10 bytes"));
        std::fs::remove_file(&dir).unwrap();
        if Path::new("/dev/zero").exists() {
            assert!(read_bounded(Path::new("/dev/zero"), 1 << 20).is_err());
        }
    }
}
