//! Where the issuer lives: an external provider's URL, the stack's bucket, and the URL the documents are
//! served from.

use super::Validator;

impl Validator<'_> {
    /// An external issuer: https, a host, no query or fragment. A trailing slash is allowed (some providers'
    /// `iss` has one) but must match the provider's document, which deploy checks.
    pub(super) fn external_url(&mut self, url: &str) {
        self.provider_url("issuer.external", url);
    }

    /// An identity provider's issuer URL at `path`, as API Gateway takes one: https, a host, no credentials,
    /// query or fragment, canonical (it is compared with `iss` byte for byte).
    pub(super) fn provider_url(&mut self, path: &str, url: &str) {
        let hint = Some("the provider's issuer URL exactly as in its tokens' `iss`, e.g. https://idp.example.com/realms/main".to_string());
        match url::Url::parse(url) {
            Err(e) => self.at(path, format!("{path} `{url}` is not a URL: {e}"), hint),
            Ok(u) if u.scheme() != "https" => self.at(
                path,
                format!("{path} `{url}` is not https"),
                Some("API Gateway fetches the issuer over https only".into()),
            ),
            Ok(u) if u.query().is_some() || u.fragment().is_some() => {
                self.at(path, format!("{path} `{url}` has a query or fragment"), hint)
            }
            Ok(u) if !u.username().is_empty() || u.password().is_some() || u.host_str().is_none() => {
                self.at(path, format!("{path} `{url}` must name a host and no credentials"), hint)
            }
            Ok(u) if u.as_str() != url && u.as_str() != format!("{url}/") => self.at(
                path,
                format!("{path} `{url}` is not in canonical form (`{}`)", u.as_str()),
                Some(
                    "write the host in lower case, without a default port or dot segments: API Gateway compares `iss` byte for byte".into(),
                ),
            ),
            Ok(_) => {}
        }
    }

    pub(super) fn bucket(&mut self, bucket: &str, default_url: bool) {
        let chars_ok = bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        let ends_ok = bucket.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && bucket.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
        if !(3..=63).contains(&bucket.len()) || !chars_ok || !ends_ok || bucket.contains("..") {
            self.at(
                "issuer.bucket",
                format!("`{bucket}` is not a valid S3 bucket name"),
                Some("3 to 63 characters of a-z, 0-9, - and ., starting and ending with a letter or digit".into()),
            );
        } else if let Some(why) = reserved_bucket_name(bucket) {
            self.at(
                "issuer.bucket",
                format!("`{bucket}` {why}, which S3 reserves"),
                Some("choose another bucket name (S3's bucket naming rules)".into()),
            );
        } else if default_url && bucket.contains('.') {
            self.at(
                "issuer.bucket",
                format!("bucket `{bucket}` has a dot, so its default https URL fails certificate checks"),
                Some("choose a bucket name without dots, or set issuer.url to the CloudFront or custom domain in front of it".into()),
            );
        }
    }

    pub(super) fn issuer_url(&mut self, url: &str) {
        let hint = Some(
            "the issuer is an absolute https URL without query, fragment or trailing slash, e.g. https://auth.example.com".to_string(),
        );
        let parsed = match url::Url::parse(url) {
            Ok(u) => u,
            Err(e) => {
                self.at("issuer.url", format!("issuer.url `{url}` is not a URL: {e}"), hint);
                return;
            }
        };
        if parsed.scheme() != "https" {
            self.at(
                "issuer.url",
                format!("issuer.url `{url}` is not https"),
                Some("API Gateway fetches the issuer over https only".to_string()),
            );
        } else if parsed.query().is_some() || parsed.fragment().is_some() {
            self.at("issuer.url", format!("issuer.url `{url}` has a query or fragment"), hint);
        } else if url.ends_with('/') {
            self.at(
                "issuer.url",
                format!("issuer.url `{url}` ends with a slash"),
                Some(format!(
                    "API Gateway compares `iss` byte for byte, and tools disagree on the slash: write `{}`",
                    url.trim_end_matches('/')
                )),
            );
        } else if !parsed.username().is_empty() || parsed.password().is_some() || parsed.host_str().is_none() {
            self.at(
                "issuer.url",
                format!("issuer.url `{url}` must name a host and no credentials"),
                hint,
            );
        } else if parsed.path().contains('%') {
            self.at(
                "issuer.url",
                format!("issuer.url `{url}` has a percent-encoded path"),
                Some(
                    "the documents go under the path as S3 keys, where `%20` stays `%20`: write the path with letters, digits, `-`, `_`, `.` and `/` only".into(),
                ),
            );
        } else if parsed.as_str().trim_end_matches('/') != url {
            self.at(
                "issuer.url",
                format!(
                    "issuer.url `{url}` is not in canonical form (`{}`)",
                    parsed.as_str().trim_end_matches('/')
                ),
                Some("write the host in lower case, without a default port or dot segments".into()),
            );
        }
    }
}

/// What S3's bucket naming rules reserve (the S3 user guide, "Bucket naming rules"): some prefixes and
/// suffixes, and names formatted as an IP address. AWS refuses them; moto does not.
fn reserved_bucket_name(bucket: &str) -> Option<String> {
    const PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
    const SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    if let Some(p) = PREFIXES.iter().find(|p| bucket.starts_with(*p)) {
        return Some(format!("starts with `{p}`"));
    }
    if let Some(s) = SUFFIXES.iter().find(|s| bucket.ends_with(*s)) {
        return Some(format!("ends with `{s}`"));
    }
    let parts: Vec<&str> = bucket.split('.').collect();
    if parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
    {
        return Some("is formatted as an IP address".into());
    }
    None
}
