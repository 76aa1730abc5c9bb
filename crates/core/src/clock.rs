//! The clock of the key timeline and of rotation's timing rules.
//!
//! `JWTSTACK_NOW` (Unix seconds) replaces it, to rehearse a rotation without waiting hours (the tests do);
//! it moves no other clock: tokens, `verify` and the run lock always use the system time.

use std::time::{SystemTime, UNIX_EPOCH};

pub const ENV: &str = "JWTSTACK_NOW";

/// The system time, in Unix seconds: what tokens, `verify`, `serve` and the run lock go by.
pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// [`now_secs`] as the key timeline's signed seconds.
pub fn system_now() -> i64 {
    now_secs() as i64
}

/// Rotation's "now": `JWTSTACK_NOW` when set to a number, else the system time.
pub fn rotation_now() -> i64 {
    std::env::var(ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(system_now)
}

/// RFC 3339 in UTC: `2026-11-24T10:00:00Z`.
pub fn format_utc(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// API Gateway's `$context.requestTime` in UTC: `14/Nov/2023:22:13:20 +0000`.
pub fn format_request_time(unix: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(unix) else {
        return unix.to_string();
    };
    let month = t.month().to_string();
    format!(
        "{:02}/{}/{}:{:02}:{:02}:{:02} +0000",
        t.day(),
        &month[..3],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `3d 4h`, `2h 5m`, `40m`, `12s`.
pub fn format_span(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_spans() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_request_time(0), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(format_request_time(951_782_400), "29/Feb/2000:00:00:00 +0000");
        assert_eq!(format_request_time(1_735_689_599), "31/Dec/2024:23:59:59 +0000");
        assert_eq!(format_request_time(1_700_000_000), "14/Nov/2023:22:13:20 +0000");
        assert_eq!(format_span(59), "59s");
        assert_eq!(format_span(7200), "2h 0m");
        assert_eq!(format_span(90_000), "1d 1h");
    }
}
