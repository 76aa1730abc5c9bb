//! What a custom domain needs, whoever serves it (the issuer's CloudFront distribution, the API's regional
//! endpoint): an ACM certificate that can serve the name, and alias records that jwtstack may write.

use super::{AliasRecordInfo, CertificateInfo, Conflict};

/// Why ACM's certificate (as read in `region`) cannot serve `domain`; `None` when it can: it exists, is ISSUED
/// and covers the name.
pub fn certificate_problem(cert: Option<&CertificateInfo>, domain: &str, region: &str) -> Option<String> {
    let Some(cert) = cert else {
        return Some(format!("ACM in {region} has no such certificate"));
    };
    if cert.status != "ISSUED" {
        return Some(format!("its status is {}", cert.status));
    }
    if !cert.domains.iter().any(|d| covers(d, domain)) {
        return Some(format!("it is for {}", cert.domains.join(", ")));
    }
    None
}

/// A certificate name covers `domain`: equal, or a wildcard one label deep (`*.example.com`).
fn covers(name: &str, domain: &str) -> bool {
    let name = name.to_ascii_lowercase();
    match name.strip_prefix("*.") {
        Some(parent) => domain
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == parent),
        None => name == domain,
    }
}

/// The A and AAAA records of `domain` in `zone`: a record that points anywhere but `target` (`None`: the target
/// does not exist yet, so any record points elsewhere) is not jwtstack's to overwrite. Returns whether both
/// records point at the target already.
pub fn alias_records_in_place(
    records: &[AliasRecordInfo],
    what: &'static str,
    zone: &str,
    domain: &str,
    target: Option<&str>,
) -> Result<bool, Conflict> {
    for r in records {
        let points = r.alias_target.clone().unwrap_or_else(|| "(not an alias)".into());
        if !target.is_some_and(|t| points.eq_ignore_ascii_case(t)) {
            return Err(Conflict::AliasRecordTaken {
                what,
                domain: domain.to_string(),
                zone: zone.to_string(),
                record_type: r.record_type.clone(),
                target: points,
            });
        }
    }
    Ok(["A", "AAAA"].iter().all(|t| records.iter().any(|r| r.record_type == *t)))
}
