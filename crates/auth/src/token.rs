//! Random tokens (session cookies, form tokens, first-run tokens, personal API tokens) and
//! their hashes.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 32 random bytes as 64 hexadecimal characters.
pub fn random_token() -> String {
    hex(&rand::random::<[u8; 32]>())
}

/// SHA-256 of a token: what the database keeps instead of the token itself.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Compares two secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// How every personal API token begins, so that one pasted where it should not be is
/// recognisable (and secret scanners can look for it).
pub const API_TOKEN_START: &str = "mamori_";

/// Hexadecimal characters in the public part of an API token after [`API_TOKEN_START`].
const API_PUBLIC_HEX: usize = 12;

/// A new personal API token: `(prefix, token)`. The prefix (`mamori_` and 12 random hex
/// characters) is public: it finds the token's row and names the token in lists. The
/// token is the prefix, `_`, and 32 random bytes; only its hash is stored.
pub fn new_api_token() -> (String, String) {
    let prefix = format!("{API_TOKEN_START}{}", hex(&rand::random::<[u8; 6]>()));
    let token = format!("{prefix}_{}", random_token());
    (prefix, token)
}

/// The public prefix of a presented API token, if it has the shape of one.
pub fn api_token_prefix(token: &str) -> Option<&str> {
    let rest = token.strip_prefix(API_TOKEN_START)?;
    let (public, secret) = rest.split_once('_')?;
    let is_hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (public.len() == API_PUBLIC_HEX && secret.len() == 64 && is_hex(public) && is_hex(secret))
        .then(|| &token[..API_TOKEN_START.len() + API_PUBLIC_HEX])
}

/// Compares two hashes in constant time.
pub fn same_hash(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_eq!(hash_token(&a).len(), 32);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &random_token()));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn api_tokens_carry_a_public_prefix_and_a_secret() {
        let (prefix, token) = new_api_token();
        assert!(prefix.starts_with("mamori_") && prefix.len() == 19);
        assert_eq!(api_token_prefix(&token), Some(prefix.as_str()));
        assert_ne!(new_api_token().1, token);
        assert_eq!(api_token_prefix(&prefix), None);
        assert_eq!(api_token_prefix(&token[..token.len() - 1]), None);
        assert_eq!(api_token_prefix(&token.to_uppercase()), None);
        assert_eq!(api_token_prefix(&random_token()), None);
        assert!(same_hash(&hash_token(&token), &hash_token(&token)));
        assert!(!same_hash(&hash_token(&token), &hash_token(&prefix)));
        assert!(!same_hash(b"ab", b"abc"));
    }
}
