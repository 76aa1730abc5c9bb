//! The document steps: the discovery document and the JWKS put (a JWKS naming a key this run created gets
//! its bytes from it), and deleted.

use jwtstack_core::crypto::documents;
use jwtstack_core::plan::{Body, DocumentStep};

use super::{Effect, Made, resolve};
use crate::retry::when_busy;
use crate::{AwsError, Clients, s3};

pub(super) async fn run(c: &Clients, step: &DocumentStep, made: &Made) -> Result<Effect, AwsError> {
    match step {
        DocumentStep::Put { bucket, key, body, .. } => {
            let body = match body {
                Body::Ready(b) => b.clone(),
                Body::Jwks(keys) => {
                    let keys = keys
                        .iter()
                        .map(|(kid, jwk)| resolve(jwk, made.keys.get(kid), "a generated key"))
                        .collect::<Result<Vec<_>, _>>()?;
                    documents::jwks(&keys)
                }
            };
            when_busy(|| s3::put_document(c, bucket, key, body.clone())).await?
        }
        DocumentStep::Delete { bucket, key } => when_busy(|| s3::delete_object(c, bucket, key)).await?,
    }
    Ok(Effect::None)
}
