//! A failed AWS call, classified: what we were doing, how it failed (from the SDK's own typed error
//! variants where the operation's model has them, see `modelled`), and AWS's own words, never a response body.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::modelled::Modelled;

/// What kind of failure an AWS call had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    Conflict,
    Throttled,
    AccessDenied,
    /// AWS refused the call because another change to the same resource is in progress: API Gateway's 409
    /// "concurrent modification", S3's 409 `OperationAborted`. Nothing happened; try again after a pause.
    Busy,
    /// No credentials could be had: no call was sent.
    Credentials,
    /// No answer, a reset connection, or a timeout: the call may or may not have taken effect.
    Connection,
    /// A 5xx answer.
    Server,
    Other,
}

impl ErrorKind {
    /// Worth another attempt after a pause.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Busy | ErrorKind::Connection | ErrorKind::Server
        )
    }
}

/// A failed AWS call: what we were doing, how it failed, and AWS's own words.
#[derive(Debug, thiserror::Error)]
/// The hint is data: `output::render_error` shows it on a line of its own.
#[error("{context}: {message}")]
pub struct AwsError {
    pub context: String,
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl AwsError {
    pub fn new(context: impl Into<String>, kind: ErrorKind, message: impl Into<String>) -> Self {
        AwsError {
            context: context.into(),
            kind,
            code: None,
            message: message.into(),
            hint: None,
        }
    }

    /// The message with its hint, for where it is carried inside another error's text.
    pub fn with_hint(&self) -> String {
        match &self.hint {
            Some(h) => format!("{self}\n  hint: {h}"),
            None => self.to_string(),
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    pub fn is_transient(&self) -> bool {
        self.kind.is_transient()
    }
}

/// The IAM action behind an SDK error type, e.g. `aws_sdk_ssm::operation::put_parameter::PutParameterError`
/// is `ssm:PutParameter`. API Gateway's management API authorizes by HTTP verb.
fn iam_action<E>() -> Option<String> {
    let name = std::any::type_name::<E>();
    let service = name.strip_prefix("aws_sdk_")?.split("::").next()?;
    let op = name.rsplit("::").next()?.strip_suffix("Error")?;
    Some(match service {
        "apigatewayv2" => {
            let verb = if op.starts_with("Get") {
                "GET"
            } else if op.starts_with("Create") {
                "POST"
            } else if op.starts_with("Update") {
                "PATCH"
            } else if op.starts_with("Delete") {
                "DELETE"
            } else {
                "POST"
            };
            format!("apigateway:{verb}")
        }
        "s3" => match op {
            "HeadBucket" | "ListObjectsV2" => "s3:ListBucket".into(),
            "GetPublicAccessBlock" => "s3:GetBucketPublicAccessBlock".into(),
            "PutPublicAccessBlock" => "s3:PutBucketPublicAccessBlock".into(),
            "PutBucketTagging" | "GetBucketTagging" => format!("s3:{op}"),
            other => format!("s3:{other}"),
        },
        other => format!("{other}:{op}"),
    })
}

/// Classifies an SDK error: by the operation's modelled error variants, the codes AWS's services share (which
/// no operation models), and the transport outcome.
pub(crate) fn classify<E>(context: impl Into<String>, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: Modelled + ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let context = context.into();
    // The SDK's full account of a failure to connect, for -v; it has no response body in it.
    if matches!(err, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) {
        tracing::info!("{context}: {}", aws_smithy_types::error::display::DisplayErrorContext(&err));
    }
    if let Some(e) = credentials_error(&err) {
        return e.into_error(context);
    }
    let (kind, code, hint) = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => (
            ErrorKind::Connection,
            None,
            Some("check the network, the region, and --endpoint-url / AWS_ENDPOINT_URL if you use an emulator".to_string()),
        ),
        SdkError::ServiceError(se) => {
            let code = se.err().code().map(str::to_string);
            let kind = se
                .err()
                .modelled()
                .or_else(|| unmodelled(code.as_deref()))
                .unwrap_or(if se.raw().status().is_server_error() {
                    ErrorKind::Server
                } else {
                    ErrorKind::Other
                });
            // API Gateway serialises changes to one API (terraform-provider-aws issues 18018, 37897, 40575; bref
            // issue 868). The error is its modelled ConflictException, as for a real conflict ("Route with key ...
            // already exists"): only AWS's message tells them apart.
            let kind = match kind {
                ErrorKind::Conflict if se.err().message().is_some_and(|m| m.contains("concurrent modification")) => ErrorKind::Busy,
                other => other,
            };
            let hint = (kind == ErrorKind::AccessDenied).then(|| {
                let action = iam_action::<E>()
                    .map(|a| format!("`{a}`"))
                    .unwrap_or_else(|| "an IAM action".into());
                format!(
                    "the credentials in use are not allowed {action} on the resource above; docs/iam.md lists the IAM policy jwtstack needs"
                )
            });
            (kind, code, hint)
        }
        _ => (ErrorKind::Other, None, None),
    };
    let message = match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            match (e.code(), e.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_string(),
                _ => format!("HTTP {} with no error code", se.raw().status().as_u16()),
            }
        }
        other => causes(other),
    };
    AwsError {
        context,
        kind,
        code,
        message,
        hint,
    }
}

/// An error's causes in words, outermost first: each cause's `Display`, never its `Debug` form (the SDK's
/// debug dump carries raw responses, and the answer to a `GetParameter` is a private key).
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        // Outer errors often repeat their source's text; keep each piece once.
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// Credentials that could not be had: found in the error's chain by type.
struct CredentialsProblem<'a>(&'a aws_credential_types::provider::error::CredentialsError);

fn credentials_error<'a, E: std::error::Error + 'static>(err: &'a SdkError<E, HttpResponse>) -> Option<CredentialsProblem<'a>> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(c) = e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>() {
            return Some(CredentialsProblem(c));
        }
        cur = e.source();
    }
    None
}

impl CredentialsProblem<'_> {
    fn into_error(self, context: String) -> AwsError {
        use aws_credential_types::provider::error::CredentialsError;
        let message = match self.0 {
            CredentialsError::CredentialsNotLoaded(_) => "no AWS credentials were found. jwtstack looked where the AWS CLI looks: \
                 the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), the profile in ~/.aws/config and \
                 ~/.aws/credentials (AWS_PROFILE or --profile), SSO, web identity, the ECS container and the EC2 instance role"
                .to_string(),
            other => format!("the AWS credentials could not be loaded: {}", causes(other)),
        };
        let mut e = AwsError::new(context, ErrorKind::Credentials, message);
        e.hint = Some(
            "run `aws configure` (access keys) or `aws sso login --profile NAME` and pass --profile NAME; \
             in CI, export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (an emulator accepts any non-empty values)"
                .into(),
        );
        e
    }
}

/// A delete of something already gone has reached the desired state.
pub(crate) fn ignore_missing<E, T>(result: Result<T, SdkError<E, HttpResponse>>, context: impl Into<String>) -> Result<(), AwsError>
where
    E: Modelled + ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = classify(context, e);
            if err.is_not_found() { Ok(()) } else { Err(err) }
        }
    }
}

/// The codes no operation's model lists among its errors: the ones AWS's services share (throttling, as the
/// SDK's own retry classifier knows them; access denied), and S3's, whose model declares few of its errors.
fn unmodelled(code: Option<&str>) -> Option<ErrorKind> {
    let code = code?;
    if aws_runtime::retries::classifiers::THROTTLING_ERRORS.contains(&code) {
        return Some(ErrorKind::Throttled);
    }
    Some(match code {
        // terraform-provider-aws issues 7628 and 36873: right after CreateBucket and between bucket
        // configuration calls.
        "OperationAborted" => ErrorKind::Busy,
        "NoSuchBucket" | "NoSuchBucketPolicy" | "NoSuchTagSet" | "NoSuchPublicAccessBlockConfiguration" | "NotFound" => ErrorKind::NotFound,
        // The common not-found codes, for an operation whose model does not list them (an emulator answers
        // them where AWS's model is silent).
        "NotFoundException" | "ResourceNotFoundException" => ErrorKind::NotFound,
        // API Gateway's "concurrent modification" comes to operations whose model lists no ConflictException
        // (DeleteApi, DeleteRoute...; terraform-provider-aws issue 37897): read below by its words.
        "ConflictException" => ErrorKind::Conflict,
        "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => ErrorKind::Conflict,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "UnrecognizedClientException" | "InvalidClientTokenId" => {
            ErrorKind::AccessDenied
        }
        _ => return None,
    })
}
