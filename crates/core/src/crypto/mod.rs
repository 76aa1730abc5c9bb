//! Keys, the published documents, and tokens. Pure: the clock and the RNG are passed in.

pub mod documents;
pub mod jws;
pub mod keys;
pub mod token;
