//! Minting with the stack's signing key wherever it lives: a PKCS#8 PEM in memory (read from SSM), or a KMS
//! key that never leaves KMS (`key_store: kms`). A login service picks one at start-up and mints with it.
//!
//! ```no_run
//! # async fn example() -> Result<(), jwtstack_aws::signer::SignerError> {
//! use jwtstack_core::crypto::token::MintRequest;
//! use jwtstack_aws::signer::Signer;
//! let aws = aws_config::load_from_env().await;
//! // The alias jwtstack gives the key: alias/jwtstack/{name}/{kid}.
//! let signer = Signer::kms(aws_sdk_kms::Client::new(&aws), "alias/jwtstack/grocery/grocery-2026-11", "grocery-2026-11");
//! let req = MintRequest { issuer: "https://grocery-issuer-123.s3.us-east-1.amazonaws.com".into(),
//!     audience: vec!["grocery-api".into()], subject: "alice".into(), ttl_seconds: 900, ..Default::default() };
//! let token = signer.mint(&req, 1_800_000_000, &mut rand::rngs::OsRng).await?;
//! # Ok(()) }
//! ```

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use rand::{CryptoRng, RngCore};
use tokio::sync::OnceCell;

use jwtstack_core::crypto::keys::{Jwk, SigningKey};
use jwtstack_core::crypto::token::{KmsMessage, MintError, MintRequest, kms_message, prepare, sign_rs256, verify_rs256};

#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error(transparent)]
    Mint(#[from] MintError),
    /// KMS refused or failed: its error code and message (never a response body).
    #[error("KMS {operation} on {key}: {message}")]
    Kms {
        operation: &'static str,
        key: String,
        message: String,
    },
    #[error("KMS key {0} returned a signature that does not verify with its public key")]
    BadSignature(String),
}

/// An RS256 signer.
pub enum Signer {
    /// A private key in this process's memory.
    Pem(SigningKey),
    /// A KMS key: each token is one `kms:Sign`; the public key is read once (`kms:GetPublicKey`) to check them.
    Kms(KmsSigner),
}

pub struct KmsSigner {
    client: aws_sdk_kms::Client,
    key: String,
    kid: String,
    public: OnceCell<rsa::RsaPublicKey>,
}

impl Signer {
    /// `key` is the KMS key's id, ARN or alias; `kid` is the kid the JWKS publishes it under.
    pub fn kms(client: aws_sdk_kms::Client, key: &str, kid: &str) -> Signer {
        Signer::Kms(KmsSigner {
            client,
            key: key.into(),
            kid: kid.into(),
            public: OnceCell::new(),
        })
    }

    pub fn kid(&self) -> &str {
        match self {
            Signer::Pem(k) => &k.kid,
            Signer::Kms(k) => &k.kid,
        }
    }

    /// A compact RS256 token for `req`, with this signer's kid.
    pub async fn mint<R: RngCore + CryptoRng>(&self, req: &MintRequest, now: u64, rng: &mut R) -> Result<String, SignerError> {
        let unsigned = prepare(self.kid(), req, now, rng)?;
        let signature = match self {
            Signer::Pem(key) => sign_rs256(key, unsigned.signing_input())?,
            Signer::Kms(k) => k.sign(unsigned.signing_input()).await?,
        };
        Ok(unsigned.finish(&signature)?)
    }
}

impl KmsSigner {
    fn failed<E: aws_sdk_kms::error::ProvideErrorMetadata>(&self, operation: &'static str, e: &E) -> SignerError {
        SignerError::Kms {
            operation,
            key: self.key.clone(),
            message: match (e.code(), e.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_string(),
                _ => "no answer (network or credentials)".into(),
            },
        }
    }

    async fn public(&self) -> Result<&rsa::RsaPublicKey, SignerError> {
        self.public
            .get_or_try_init(|| async {
                let out = self
                    .client
                    .get_public_key()
                    .key_id(&self.key)
                    .send()
                    .await
                    .map_err(|e| self.failed("GetPublicKey", &e))?;
                let der = out.public_key().map(Blob::as_ref).unwrap_or_default();
                Jwk::from_spki_der(&self.kid, der)
                    .and_then(|(jwk, _)| jwk.to_public_key())
                    .map_err(|e| SignerError::Kms {
                        operation: "GetPublicKey",
                        key: self.key.clone(),
                        message: e.to_string(),
                    })
            })
            .await
    }

    /// RSASSA_PKCS1_V1_5_SHA_256 of `input` by KMS (RAW up to 4,096 bytes, DIGEST beyond), checked against the
    /// key's public half.
    pub async fn sign(&self, input: &[u8]) -> Result<Vec<u8>, SignerError> {
        let public = self.public().await?;
        let (message, kind) = match kms_message(input) {
            KmsMessage::Raw(m) => (m.to_vec(), MessageType::Raw),
            KmsMessage::Digest(d) => (d.to_vec(), MessageType::Digest),
        };
        let out = self
            .client
            .sign()
            .key_id(&self.key)
            .message(Blob::new(message))
            .message_type(kind)
            .signing_algorithm(SigningAlgorithmSpec::RsassaPkcs1V15Sha256)
            .send()
            .await
            .map_err(|e| self.failed("Sign", &e))?;
        let signature = out.signature().map(|s| s.as_ref().to_vec()).unwrap_or_default();
        if !verify_rs256(public, input, &signature) {
            return Err(SignerError::BadSignature(self.key.clone()));
        }
        Ok(signature)
    }
}

/// The signer of the stack's key `kid` wherever it lives: the stack's key store first, then the other one (a
/// stack switching stores signs from the old store until the rotation's `activate`). Reads the private key
/// (SSM, decrypted) or names the KMS key; only where a token is signed.
pub async fn stack_signer(c: &crate::Clients, stack: &jwtstack_core::config::Stack, kid: &str) -> Result<Signer, crate::AwsError> {
    use jwtstack_core::config::KeyStore;
    let parameter = stack.key_parameter(kid);
    let alias = jwtstack_core::names::kms_alias(&stack.name, kid);
    let mut stores = [KeyStore::Ssm, KeyStore::Kms];
    if stack.hosted().is_some_and(|h| h.key_store == KeyStore::Kms) {
        stores.reverse();
    }
    for store in stores {
        match store {
            KeyStore::Ssm => match crate::ssm::get_key(c, &parameter, kid).await {
                Ok(key) => return Ok(Signer::Pem(key)),
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            },
            KeyStore::Kms => {
                if let Some(key_id) = crate::kms::alias_target(c, &alias).await? {
                    return Ok(Signer::kms(c.kms.clone(), &key_id, kid));
                }
            }
        }
    }
    let mut err = crate::AwsError::new(
        format!("reading the signing key {kid}"),
        crate::ErrorKind::NotFound,
        format!("key {kid} is in neither SSM ({parameter}) nor KMS ({alias})"),
    );
    err.hint = Some("the key is created by `jwtstack deploy`; run it first, or pass --key-file".into());
    Err(err)
}
