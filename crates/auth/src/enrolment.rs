//! Sign-in codes (利用開始コード): how a person created in bulk signs in for the first time.
//!
//! An administrator who sets each new person's initial password pays one Argon2 hash per
//! person, which is what makes a password safe to store: a person picks something
//! guessable. A sign-in code is different. mamori draws it (80 random bits), so nobody can
//! guess it and a plain SHA-256 of it is as safe to store as a slow hash of a password: an
//! office can add three thousand staff in seconds, and each pays the Argon2 hash later,
//! when they choose their own password at their first sign-in.
//!
//! The stored form sits where a password hash would, in a format of its own that no
//! password hash can take: `$mamori-code$v=1$e=<expiry, Unix seconds>$<SHA-256, hex>`.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

/// Crockford's base-32 alphabet: no I, L, O or U, so a code read off paper is not misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code: 16 × 5 bits = 80 bits.
const LENGTH: usize = 16;
const PREFIX: &str = "$mamori-code$v=1$e=";

/// A new code, as printed for the person (`7K3M-9QXD-2BHN-W4RT`), and its stored form.
pub fn new_code(expires_unix: i64) -> (String, String) {
    let bytes: [u8; LENGTH] = rand::random();
    let raw: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect();
    let printed = raw
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("-");
    let stored = format!("{PREFIX}{expires_unix}${}", digest(&raw));
    (printed, stored)
}

/// A stored code: when it expires and the digest of the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCode<'a> {
    /// Unix seconds after which the code no longer signs in.
    pub expires_unix: i64,
    digest: &'a str,
}

/// Reads a stored credential as a sign-in code; `None` when it is a password hash.
pub fn parse(stored: &str) -> Option<StoredCode<'_>> {
    let (expires, digest) = stored.strip_prefix(PREFIX)?.split_once('$')?;
    Some(StoredCode {
        expires_unix: expires.parse().ok()?,
        digest,
    })
}

impl StoredCode<'_> {
    /// Whether `typed` is the code, read the way people copy it: any case, with or without
    /// the hyphens and spaces, O for 0 and I or L for 1.
    pub fn matches(&self, typed: &str) -> bool {
        let normal: String = typed
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '　'))
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect();
        bool::from(digest(&normal).as_bytes().ct_eq(self.digest.as_bytes()))
    }
}

fn digest(code: &str) -> String {
    Sha256::digest(code.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_as_people_copy_it_and_nothing_else() {
        let (printed, stored) = new_code(1_800_000_000);
        assert_eq!(printed.len(), 19, "{printed}");
        assert_eq!(printed.matches('-').count(), 3);
        assert!(
            printed
                .chars()
                .all(|c| c == '-' || ALPHABET.contains(&(c as u8)))
        );
        let code = parse(&stored).unwrap();
        assert_eq!(code.expires_unix, 1_800_000_000);
        assert!(code.matches(&printed));
        assert!(code.matches(&printed.to_lowercase().replace('-', " ")));
        assert!(code.matches(&printed.replace('-', "")));
        let misread = printed.replace('0', "O").replace('1', "l");
        assert!(code.matches(&misread));
        let mut other = printed.clone().into_bytes();
        other[0] = if other[0] == b'A' { b'B' } else { b'A' };
        assert!(!code.matches(std::str::from_utf8(&other).unwrap()));
        assert!(!code.matches(""));
    }

    #[test]
    fn codes_differ_and_password_hashes_are_not_codes() {
        let (a, _) = new_code(0);
        let (b, _) = new_code(0);
        assert_ne!(a, b);
        assert!(parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").is_none());
        assert!(parse("$mamori-code$v=1$e=soon$abc").is_none());
    }
}
