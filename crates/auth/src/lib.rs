//! Credentials: password hashing, second factors (TOTP, passkeys), and the random tokens behind
//! sessions and forms. Pure functions over bytes; storage and HTTP live elsewhere.

pub mod anchor;
pub mod enrolment;
pub mod oidc;
pub mod password;
pub mod sealed;
pub mod token;
pub mod totp;
pub mod webauthn;
