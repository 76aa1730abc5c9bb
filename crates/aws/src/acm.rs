//! ACM: the certificate of an issuer's custom domain, read in us-east-1 (the only region whose certificates
//! CloudFront uses), and of the API's custom domain, read in the stack's region; both before any change.

use super::{AwsError, Clients, classify};
use jwtstack_core::plan::CertificateInfo;

/// The certificate as ACM describes it; `None` when us-east-1 has no such certificate.
pub async fn describe_certificate(c: &Clients, arn: &str) -> Result<Option<CertificateInfo>, AwsError> {
    describe(&c.acm_us_east_1, "us-east-1", arn).await
}

/// The certificate in the stack's region; `None` when that region has no such certificate.
pub async fn describe_regional_certificate(c: &Clients, arn: &str) -> Result<Option<CertificateInfo>, AwsError> {
    describe(&c.acm, &c.region, arn).await
}

async fn describe(acm: &aws_sdk_acm::Client, region: &str, arn: &str) -> Result<Option<CertificateInfo>, AwsError> {
    let out = match acm.describe_certificate().certificate_arn(arn).send().await {
        Ok(out) => out,
        Err(e) => {
            let e = classify(format!("reading ACM certificate {arn} in {region}"), e);
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
    };
    let Some(cert) = out.certificate() else { return Ok(None) };
    let mut domains: Vec<String> = cert.domain_name().map(str::to_string).into_iter().collect();
    for san in cert.subject_alternative_names() {
        if !domains.contains(san) {
            domains.push(san.clone());
        }
    }
    Ok(Some(CertificateInfo {
        arn: arn.to_string(),
        status: cert.status().map(|s| s.as_str().to_string()).unwrap_or_else(|| "UNKNOWN".into()),
        domains,
    }))
}
