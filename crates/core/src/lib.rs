//! jwtstack's pure core: what a stack file says, what AWS should become, and the tokens and keys in between.
//! Nothing here does I/O beyond reading a stack file from disk: `jwtstack-aws` reads and changes AWS,
//! `jwtstack-serve` answers requests, and the `jwtstack` binary ties them together.
//!
//! - `config`: the stack file (its text, serde mirror and validated model);
//! - `plan`: `plan(&Stack, &Inventory) -> Plan`, the steps that take AWS to the stack, and their rendering;
//! - `crypto`: keys, tokens, the discovery document and JWKS, API Gateway's authorizer decision;
//! - `rotation`: the key-rotation phases and their timing rules; `names`: every name jwtstack gives a thing;
//! - `issuer` and `jwks`: what API Gateway would make of an issuer's documents, as fetched;
//! - `access_log`: the access log's lines as `jwtstack logs` reads them; `clock`: the clocks above;
//! - `oauth`: the token endpoint's client credentials grant (RFC 6749), its client records and secrets;
//! - `probe`: the requests that prove a deployed gateway does what the stack says, and their verdicts;
//! - `text`: text from outside made safe for a terminal, and files read through a bound.

pub mod access_log;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod issuer;
pub mod jwks;
pub mod names;
pub mod oauth;
pub mod plan;
pub mod probe;
pub mod rotation;
pub mod text;
