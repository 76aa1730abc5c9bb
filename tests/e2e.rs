//! Every integration test in one test binary.
//!
//! Each module below is one file of `tests/` and still reads as its own suite (`cargo test --test e2e serve::`
//! runs one). They are linked into a single executable on purpose: each test binary carries the AWS SDK, and
//! eleven of them took eleven links and several gigabytes of disk on a clean build.

mod common;

mod acceptance;
mod api_settings;
mod attacks;
mod check;
mod cli;
mod cloudfront;
mod connection;
mod deploy;
mod docs;
mod drift;
mod external;
mod faults;
mod fidelity;
mod function;
mod fuzz_verify;
mod interop;
mod keystore;
mod lock;
mod output;
mod probe;
mod reference;
mod refusals;
mod rest_adopted;
mod rest_authorizer;
mod rest_deploy;
mod rest_jwt_calls;
mod rotation;
mod serve;
mod strict;
mod token_deploy;
mod untrusted_input;
mod vectors;
mod verify;
