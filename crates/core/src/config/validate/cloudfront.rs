//! `issuer.cloudfront`: a private bucket behind a distribution the stack owns.

use super::super::raw::{RawCloudFront, RawIssuer};
use super::Validator;
use crate::config::CloudFront;

/// CloudFront's price classes (DistributionConfig.PriceClass).
pub const PRICE_CLASSES: [&str; 3] = ["PriceClass_100", "PriceClass_200", "PriceClass_All"];

impl Validator<'_> {
    /// The distribution's settings: `true`, or a domain with its us-east-1 certificate. The bucket stays
    /// private (a `public: true` defeats the point), and the issuer URL is the distribution's, so an
    /// `issuer.url` must say the same.
    pub(super) fn cloudfront(&mut self, i: &RawIssuer) -> Option<Box<CloudFront>> {
        let settings = match i.cloudfront.as_ref()? {
            RawCloudFront::Enabled(false) => return None,
            RawCloudFront::Enabled(true) => None,
            RawCloudFront::Settings(s) => Some(s),
        };
        let domain = settings.and_then(|s| s.domain.clone());
        let certificate_arn = settings.and_then(|s| s.certificate_arn.clone());
        let hosted_zone_id = settings.and_then(|s| s.hosted_zone_id.clone());
        let price_class = settings
            .and_then(|s| s.price_class.clone())
            .unwrap_or_else(|| PRICE_CLASSES[0].to_string());
        if i.public == Some(true) {
            self.at(
                "issuer.public",
                "issuer.public: true with issuer.cloudfront",
                Some(
                    "CloudFront reads the bucket through origin access control, so the bucket stays private: remove `public: true`".into(),
                ),
            );
        }
        if !PRICE_CLASSES.contains(&price_class.as_str()) {
            self.at(
                "issuer.cloudfront.price_class",
                format!("price_class `{price_class}` is not a CloudFront price class"),
                Some(format!("use one of {}", PRICE_CLASSES.join(", "))),
            );
        }
        if let Some(d) = &domain {
            self.hostname("issuer.cloudfront.domain", d, "auth.example.com");
        }
        match (&domain, &certificate_arn) {
            (Some(_), None) => self.at_key(
                "issuer.cloudfront.domain",
                "issuer.cloudfront.domain needs certificate_arn",
                Some(
                    "CloudFront serves an alternate domain name only with an ACM certificate for it, requested or imported in us-east-1"
                        .into(),
                ),
            ),
            (None, Some(_)) => self.at_key(
                "issuer.cloudfront.certificate_arn",
                "issuer.cloudfront.certificate_arn without domain",
                Some(
                    "add `domain:` (the hostname the certificate is for), or remove certificate_arn to use the distribution's own name"
                        .into(),
                ),
            ),
            _ => {}
        }
        if let Some(arn) = &certificate_arn
            && let Some(region) = self.certificate_arn("issuer.cloudfront.certificate_arn", arn, "us-east-1")
            && region != "us-east-1"
        {
            self.at(
                "issuer.cloudfront.certificate_arn",
                format!("the certificate is in {region}, not in us-east-1"),
                Some("CloudFront uses ACM certificates from us-east-1 only: request or import the certificate there".into()),
            );
        }
        if hosted_zone_id.is_some() && domain.is_none() {
            self.at_key(
                "issuer.cloudfront.hosted_zone_id",
                "issuer.cloudfront.hosted_zone_id without domain",
                Some("the hosted zone receives `domain`'s alias records: add `domain:`, or remove hosted_zone_id".into()),
            );
        }
        if let Some(z) = &hosted_zone_id {
            self.hosted_zone("issuer.cloudfront.hosted_zone_id", z);
        }
        if let Some(url) = &i.url {
            let derived = domain.as_ref().map(|d| format!("https://{d}"));
            if derived.as_deref() != Some(url.as_str()) {
                self.at(
                    "issuer.url",
                    match &derived {
                        Some(d) => format!("issuer.url `{url}` differs from the CloudFront domain's issuer `{d}`"),
                        None => format!("issuer.url `{url}` with `cloudfront: true`, whose issuer is the distribution's own URL"),
                    },
                    Some(
                        "with issuer.cloudfront the issuer URL is derived: remove issuer.url (set cloudfront.domain for your own hostname)"
                            .into(),
                    ),
                );
            }
        }
        Some(Box::new(CloudFront {
            domain,
            certificate_arn,
            hosted_zone_id,
            price_class,
        }))
    }

    /// A lower-case DNS name of the organisation (not an AWS-made one).
    pub(super) fn hostname(&mut self, path: &str, d: &str, example: &str) {
        let labels: Vec<&str> = d.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if d.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) {
            self.at(
                path,
                format!("`{d}` is not a hostname"),
                Some(format!(
                    "a lower-case DNS name without scheme, port, path or wildcard, e.g. {example}"
                )),
            );
        } else if d.ends_with(".cloudfront.net") || d.ends_with(".amazonaws.com") {
            self.at(
                path,
                format!("`{d}` is a name AWS gives its own resources"),
                Some(format!("this is your organisation's hostname, e.g. {example}")),
            );
        }
    }

    /// An ACM certificate ARN; its region when it is shaped like one.
    pub(super) fn certificate_arn(&mut self, path: &str, arn: &str, region_example: &str) -> Option<String> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let shaped = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == "acm"
            && parts[4].len() == 12
            && parts[4].chars().all(|c| c.is_ascii_digit())
            && parts[5].starts_with("certificate/");
        if !shaped {
            self.at(
                path,
                format!("`{arn}` is not an ACM certificate ARN"),
                Some(format!(
                    "arn:aws:acm:{region_example}:ACCOUNT:certificate/ID, as `aws acm list-certificates --region {region_example}` shows it"
                )),
            );
            return None;
        }
        Some(parts[3].to_string())
    }

    pub(super) fn hosted_zone(&mut self, path: &str, z: &str) {
        if z.is_empty() || z.len() > 32 || !z.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
            self.at(
                path,
                format!("`{z}` is not a Route 53 hosted zone id"),
                Some("the id as `aws route53 list-hosted-zones` shows it without `/hostedzone/`, e.g. Z0123456789ABCDEFGHIJ".into()),
            );
        }
    }
}
