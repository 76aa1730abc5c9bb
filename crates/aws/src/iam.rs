//! The IAM actions each AWS operation jwtstack sends needs, and the call log (`JWTSTACK_CALL_LOG`) that writes
//! them: what a pipeline's role must allow, read from what the binary did rather than from a document. The
//! suite writes it for every run and `scripts/iam-check.py` holds it against the policies in `docs/iam/`.
//!
//! Most operations need the action of their own name in the service's prefix. The exceptions are AWS's (Service
//! Authorization Reference, each service's "Actions defined by ..." table): API Gateway's management actions are
//! the HTTP methods (`apigateway:GET` ...); S3 checks `HeadBucket` and `ListObjectsV2` as `s3:ListBucket`, a
//! bucket's public access block as `s3:{Get,Put}BucketPublicAccessBlock` and the account's as
//! `s3:GetAccountPublicAccessBlock`; Lambda's `CreateFunction` needs `iam:PassRole` and `lambda:TagResource`,
//! IAM's `CreateRole` `iam:TagRole`; CloudFront's `CreateDistributionWithTags` needs `CreateDistribution` and
//! `TagResource`; STS `GetCallerIdentity` needs no permission.

use std::io::Write;

use crate::stats::CallStats;

/// The actions an operation of `service` (the SDK's service name) sent with HTTP `method` needs.
pub fn actions(service: &str, operation: &str, method: &str) -> Vec<String> {
    let own = |prefix: &str| vec![format!("{prefix}:{operation}")];
    match (service, operation) {
        // A REST API's resource policy, set when it is created or patched, needs apigateway:UpdateRestApiPolicy
        // besides the method ("Create and attach an API Gateway resource policy to an API", Developer Guide);
        // jwtstack sets one on a private API.
        ("API Gateway", "CreateRestApi" | "UpdateRestApi") => {
            vec![format!("apigateway:{method}"), "apigateway:UpdateRestApiPolicy".into()]
        }
        ("ApiGatewayV2" | "API Gateway", _) => vec![format!("apigateway:{method}")],
        ("STS", "GetCallerIdentity") => vec![],
        ("S3", "HeadBucket" | "ListObjectsV2") => vec!["s3:ListBucket".into()],
        ("S3", "HeadObject") => vec!["s3:GetObject".into()],
        ("S3", "GetPublicAccessBlock") => vec!["s3:GetBucketPublicAccessBlock".into()],
        ("S3", "PutPublicAccessBlock" | "DeletePublicAccessBlock") => vec!["s3:PutBucketPublicAccessBlock".into()],
        ("S3", "DeleteObjects") => vec!["s3:DeleteObject".into()],
        ("S3", "DeleteBucketTagging") => vec!["s3:PutBucketTagging".into()],
        ("S3", _) => own("s3"),
        ("S3 Control", "GetPublicAccessBlock") => vec!["s3:GetAccountPublicAccessBlock".into()],
        ("S3 Control", _) => own("s3"),
        ("CloudFront", "CreateDistributionWithTags") => {
            vec!["cloudfront:CreateDistribution".into(), "cloudfront:TagResource".into()]
        }
        ("CloudFront", _) => own("cloudfront"),
        ("CloudWatch Logs", _) => own("logs"),
        // A function is made with a role the caller passes to Lambda, and with tags (Lambda's "Actions defined
        // by AWS Lambda": CreateFunction's dependent actions; IAM User Guide, "Granting a user permissions to
        // pass a role to an AWS service"); a role with tags needs iam:TagRole ("Actions defined by IAM").
        ("Lambda", "CreateFunction") => vec!["lambda:CreateFunction".into(), "lambda:TagResource".into(), "iam:PassRole".into()],
        ("Lambda", "UpdateFunctionConfiguration") => vec!["lambda:UpdateFunctionConfiguration".into(), "iam:PassRole".into()],
        ("IAM", "CreateRole") => vec!["iam:CreateRole".into(), "iam:TagRole".into()],
        ("Route 53", _) => own("route53"),
        (other, _) => own(&other.to_ascii_lowercase().replace(' ', "")),
    }
}

/// One line of the call log.
#[derive(serde::Serialize)]
struct Logged<'a> {
    command: &'a str,
    service: &'a str,
    operation: &'a str,
    method: &'a str,
    actions: Vec<String>,
}

/// Appends one JSON line per operation `stats` saw to the file `JWTSTACK_CALL_LOG` names, if any. Written in one
/// `write` to a file opened for appending, so that runs at once do not mix their lines.
pub fn write_call_log(stats: &CallStats, command: &str) {
    let Some(path) = std::env::var_os("JWTSTACK_CALL_LOG").filter(|p| !p.is_empty()) else {
        return;
    };
    let mut text = String::new();
    for (service, operation, method) in stats.operations() {
        let line = Logged {
            command,
            service: &service,
            operation: &operation,
            method: &method,
            actions: actions(&service, &operation, &method),
        };
        if let Ok(json) = serde_json::to_string(&line) {
            text.push_str(&json);
            text.push('\n');
        }
    }
    if text.is_empty() {
        return;
    }
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = written {
        tracing::warn!("JWTSTACK_CALL_LOG: cannot append to {}: {e}", std::path::Path::new(&path).display());
    }
}

#[cfg(test)]
mod tests {
    use super::actions;

    #[test]
    fn aws_names_the_exceptions() {
        assert_eq!(actions("ApiGatewayV2", "ReimportApi", "PUT"), ["apigateway:PUT"]);
        assert_eq!(actions("API Gateway", "UpdateMethod", "PATCH"), ["apigateway:PATCH"]);
        assert_eq!(actions("S3", "HeadBucket", "HEAD"), ["s3:ListBucket"]);
        assert_eq!(
            actions("S3 Control", "GetPublicAccessBlock", "GET"),
            ["s3:GetAccountPublicAccessBlock"]
        );
        assert_eq!(
            actions("CloudFront", "CreateDistributionWithTags", "POST"),
            ["cloudfront:CreateDistribution", "cloudfront:TagResource"]
        );
        assert!(actions("STS", "GetCallerIdentity", "POST").is_empty());
        assert_eq!(actions("SSM", "PutParameter", "POST"), ["ssm:PutParameter"]);
        assert_eq!(actions("CloudWatch Logs", "FilterLogEvents", "POST"), ["logs:FilterLogEvents"]);
        assert_eq!(actions("Route 53", "GetHostedZone", "GET"), ["route53:GetHostedZone"]);
        assert_eq!(actions("KMS", "Sign", "POST"), ["kms:Sign"]);
    }
}
