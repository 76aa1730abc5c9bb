//! The key steps: a new key generated and stored without overwrite (SSM, its public half recorded beside it)
//! or created in KMS, the public half of an old SSM key recorded, the key timeline written, keys deleted.

use jwtstack_core::config::Stack;
use jwtstack_core::crypto::keys::SigningKey;
use jwtstack_core::plan::{KeyHome, KeyStep};

use super::Effect;
use crate::retry::create_once;
use crate::{AwsError, Clients, ErrorKind, kms, ssm};

pub(super) async fn run(c: &Clients, stack: &Stack, step: &KeyStep) -> Result<Effect, AwsError> {
    let name = &stack.name;
    match step {
        KeyStep::Create {
            kid,
            home: KeyHome::Ssm { parameter, record },
            bits,
        } => {
            let failed = |e: String| AwsError::new("generating the signing key", ErrorKind::Other, e);
            let key = tokio::task::spawn_blocking({
                let (kid, bits) = (kid.to_string(), *bits);
                move || SigningKey::generate(&kid, bits)
            })
            .await
            .map_err(|e| failed(e.to_string()))?
            .map_err(|e| failed(e.to_string()))?;
            let stored = || async {
                match ssm::get_key(c, parameter, kid).await {
                    Ok(k) => Ok(Some(k)),
                    Err(e) if e.is_not_found() => Ok(None),
                    Err(e) => Err(e),
                }
            };
            // If a lost answer hides that the put happened, the stored key is the one to publish.
            let key = match create_once(
                parameter,
                || async { ssm::put_new_key(c, parameter, &key, name).await.map(|()| key.clone()) },
                stored,
            )
            .await
            {
                // The parameter exists though the inventory did not see it: the request of a run that was killed
                // reached AWS after this run read the stack. It is the stack's key (under the stack's path), and
                // a key is never overwritten: that one is published.
                Err(e) if e.kind == ErrorKind::Conflict => stored().await?.ok_or(e)?,
                other => other?,
            };
            let jwk = key.public_jwk();
            drop(key);
            ssm::put_public_record(c, name, record, &jwk).await?;
            Ok(Effect::Key {
                kid: kid.clone(),
                jwk: Box::new(jwk),
            })
        }
        KeyStep::Create {
            kid,
            home: KeyHome::Kms { alias, .. },
            bits,
        } => {
            let (_, jwk) = kms::create_key(c, name, kid, alias, *bits).await?;
            Ok(Effect::Key {
                kid: kid.clone(),
                jwk: Box::new(jwk),
            })
        }
        KeyStep::RecordPublicHalf { record, jwk, .. } => {
            ssm::put_public_record(c, name, record, jwk).await?;
            Ok(Effect::None)
        }
        KeyStep::Publish { timeline, .. } | KeyStep::Forget { timeline, .. } => {
            ssm::put_key_timeline(c, name, timeline).await?;
            Ok(Effect::None)
        }
        KeyStep::DeleteTimeline { parameter } | KeyStep::DeleteClient { parameter, .. } => {
            ssm::delete_key(c, parameter).await?;
            Ok(Effect::None)
        }
        KeyStep::Delete { home, .. } => {
            match home {
                KeyHome::Ssm { .. } => ssm::delete_stored_key(c, home).await?,
                KeyHome::Kms { .. } => kms::delete_key(c, home).await?,
            }
            Ok(Effect::None)
        }
    }
}
