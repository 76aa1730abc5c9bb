//! Every answer an AWS client reads is bounded: the SDK reads a non-streaming body whole before it parses it, so
//! an endpoint that answers gigabytes (a hostile `--endpoint-url`, a broken proxy) would otherwise take that much
//! memory. An answer that says a longer length is refused before its body is read; one that does not say stops
//! at the bound. A HEAD answer's length is the object's, not the answer's, and an object S3 streams is read
//! through jwtstack's own bound (s3.rs), which stops first: neither is refused by its length.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use http_body_util::BodyExt;

/// The most jwtstack reads of one answer: well above AWS's largest it reads (CloudWatch Logs answers up to
/// 1 MB of events per page, FilterLogEvents; a definition's reimport answer, a page of routes), far below what
/// hurts a laptop or a CI runner.
pub const ANSWER_LIMIT: usize = 16 * 1024 * 1024;

#[derive(Debug)]
pub(crate) struct BoundedBodies;

impl Intercept for BoundedBodies {
    fn name(&self) -> &'static str {
        "jwtstack-bounded-bodies"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let by_length = cfg
            .load::<Metadata>()
            .is_none_or(|m| !m.name().starts_with("Head") && m.name() != "GetObject");
        let response = context.response_mut();
        let said = response
            .headers()
            .get("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|_| by_length);
        if let Some(n) = said.filter(|n| *n > ANSWER_LIMIT as u64) {
            return Err(too_long(Some(n)).into());
        }
        let body = std::mem::replace(response.body_mut(), SdkBody::taken());
        *response.body_mut() = body.map(limited);
        Ok(())
    }
}

/// The body, ending in an error once it passes [`ANSWER_LIMIT`].
fn limited(body: SdkBody) -> SdkBody {
    SdkBody::from_body_1_x(http_body_util::Limited::new(body, ANSWER_LIMIT).map_err(|e| -> BoxError {
        if e.is::<http_body_util::LengthLimitError>() {
            too_long(None).into()
        } else {
            e
        }
    }))
}

fn too_long(said: Option<u64>) -> String {
    let size = said.map(|n| format!(" of {n} bytes")).unwrap_or_default();
    format!(
        "the endpoint answered a body{size}, more than the {} MiB jwtstack reads of one answer: it is not AWS, or something between rewrites the answers (check --endpoint-url and any proxy)",
        ANSWER_LIMIT / 1024 / 1024
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_over_the_limit_stops_at_it_and_says_why() {
        let big = SdkBody::from(vec![b'x'; ANSWER_LIMIT + 1]).map(limited);
        let e = big.collect().await.unwrap_err();
        assert!(e.to_string().contains("more than the 16 MiB jwtstack reads of one answer"), "{e}");
        let fits = SdkBody::from(vec![b'x'; 1024]).map(limited);
        assert_eq!(fits.collect().await.unwrap().to_bytes().len(), 1024);
    }
}
