//! jwtstack: a self-signed JWT issuer and an API Gateway HTTP API JWT authorizer, declared in one stack file.
//! The workspace's crates: `jwtstack-core` (the stack file, the planner, crypto), `jwtstack-aws` (the AWS side)
//! and `jwtstack-serve` (the local gateway); this crate is the command line over them.
//!
//! The binary is a thin layer over this library, so other Rust programs can use the same pieces. A login
//! Lambda, for example, mints tokens with the stack's key that it reads from SSM:
//!
//! ```
//! use jwtstack::crypto::keys::SigningKey;
//! use jwtstack::crypto::token::{mint, MintRequest};
//! # let pem = SigningKey::generate("grocery-2026-11", 2048).unwrap().to_pem().unwrap();
//! // `pem` is the value of the SSM parameter /jwtstack/grocery/keys/grocery-2026-11.
//! let key = SigningKey::from_pem("grocery-2026-11", &pem).unwrap();
//! let req = MintRequest {
//!     issuer: "https://grocery-issuer-123.s3.us-east-1.amazonaws.com".into(),
//!     audience: vec!["grocery-api".into()],
//!     subject: "alice".into(),
//!     scopes: vec!["lists.read".into()],
//!     ttl_seconds: 900,
//!     ..Default::default()
//! };
//! let now = 1_800_000_000;
//! let token = mint(&key, &req, now, &mut rand::rngs::OsRng).unwrap();
//! assert_eq!(token.split('.').count(), 3);
//! ```

// The library API: minting and verifying tokens (`crypto`) and reading a stack file (`config`), from
// jwtstack-core; the token endpoint's rules (`oauth`); minting with a key in memory or in KMS (`signer`), from
// jwtstack-aws.
pub use jwtstack_aws::signer;
pub use jwtstack_core::{config, crypto, oauth};

// What the `jwtstack` binary runs; public for `main.rs`, not an API.
#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod commands;
#[doc(hidden)]
pub mod error;
#[doc(hidden)]
pub mod exit;
#[doc(hidden)]
pub mod output;
