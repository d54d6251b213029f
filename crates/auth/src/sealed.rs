//! Secrets kept in the database (second-factor seeds) are sealed with AES-256-GCM under a
//! key that lives outside it, so a copy of the database alone does not give them away.
//! The owner's id is bound in as associated data: a sealed value moved to another row
//! does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Marks the format, so that a later one can be told apart.
const PREFIX: &str = "v1:";

/// Seals and opens small secrets with one key.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
    /// Names stored files by content without revealing it (see [`Sealer::address`]).
    address_key: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(****)")
    }
}

/// The key is not 32 bytes of hexadecimal.
#[derive(Debug, thiserror::Error)]
#[error("the secret key must be 64 hexadecimal characters (32 bytes)")]
pub struct BadKey;

impl Sealer {
    /// A sealer over a 256-bit key.
    pub fn new(key: [u8; 32]) -> Self {
        // A second key for addresses, derived so that one secret still suffices.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("any key length");
        mac.update(b"mamori file addresses v1");
        Self {
            cipher: Aes256Gcm::new(&key.into()),
            address_key: mac.finalize().into_bytes().into(),
        }
    }

    /// A sealer over a fresh random key (for tests, and nothing that must outlive them).
    pub fn random() -> Self {
        Self::new(rand::random())
    }

    /// Parses a key written as 64 hexadecimal characters.
    pub fn from_hex(hex: &str) -> Result<Self, BadKey> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(BadKey);
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| BadKey)?;
        }
        Ok(Self::new(key))
    }

    /// A new random key as hexadecimal, for a key file.
    pub fn new_key_hex() -> String {
        rand::random::<[u8; 32]>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Seals `secret` for `owner` (an id that must match when opening).
    pub fn seal(&self, secret: &str, owner: &[u8]) -> String {
        let nonce_bytes: [u8; 12] = rand::random();
        let nonce = Nonce::from(nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.as_bytes(),
                    aad: owner,
                },
            )
            // Encryption only fails for messages far larger than any secret we keep.
            .unwrap_or_default();
        let mut out = String::with_capacity(PREFIX.len() + 2 * (12 + sealed.len()));
        out.push_str(PREFIX);
        for b in nonce_bytes.iter().chain(sealed.iter()) {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }

    /// Opens a sealed value; `None` if it was altered, moved to another owner, or sealed
    /// under another key.
    pub fn open(&self, sealed: &str, owner: &[u8]) -> Option<String> {
        let hex = sealed.strip_prefix(PREFIX)?;
        if hex.len() % 2 != 0 || hex.len() < 2 * (12 + 16) {
            return None;
        }
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect::<Option<_>>()?;
        let (nonce, body) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: owner,
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

impl Sealer {
    /// A file's address: a keyed hash of its content, so that identical files are stored
    /// once while someone holding only the database cannot test a guess of a file's
    /// content against it, as a plain hash would let them.
    pub fn address(&self, content: &[u8]) -> String {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.address_key).expect("any key length");
        mac.update(content);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Encrypts a file stored under `address`: a fresh nonce followed by the ciphertext.
    /// The address is bound in, so content swapped between rows does not open.
    pub fn seal_file(&self, content: &[u8], address: &str) -> Vec<u8> {
        let nonce_bytes: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce_bytes),
                Payload {
                    msg: content,
                    aad: address.as_bytes(),
                },
            )
            // AES-GCM refuses only messages above 64 GiB; uploads are limited far below.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a stored file; `None` if it was altered, moved, or sealed under another key.
    pub fn open_file(&self, sealed: &[u8], address: &str) -> Option<Vec<u8>> {
        if sealed.len() < 12 + 16 {
            return None;
        }
        let (nonce, body) = sealed.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        self.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: address.as_bytes(),
                },
            )
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_addressed_by_keyed_content_and_open_only_at_their_address() {
        let s = Sealer::new([1; 32]);
        let a = s.address(b"%PDF-1.7 secret plan");
        assert_eq!(
            a,
            s.address(b"%PDF-1.7 secret plan"),
            "same content, same address"
        );
        assert_eq!(a.len(), 64);
        assert_ne!(a, s.address(b"%PDF-1.7 other plan"));
        assert_ne!(
            a,
            Sealer::new([2; 32]).address(b"%PDF-1.7 secret plan"),
            "another installation cannot compute it"
        );
        let sealed = s.seal_file(b"%PDF-1.7 secret plan", &a);
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            s.open_file(&sealed, &a).as_deref(),
            Some(&b"%PDF-1.7 secret plan"[..])
        );
        assert_eq!(s.open_file(&sealed, "other"), None);
        assert_eq!(Sealer::new([2; 32]).open_file(&sealed, &a), None);
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(s.open_file(&tampered, &a), None);
    }

    #[test]
    fn seals_and_opens_only_for_its_owner_and_key() {
        let s = Sealer::from_hex(&Sealer::new_key_hex()).unwrap();
        let sealed = s.seal("JBSWY3DPEHPK3PXP", b"person-1");
        assert!(sealed.starts_with("v1:") && !sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            s.seal("JBSWY3DPEHPK3PXP", b"person-1"),
            "a fresh nonce each time"
        );
        assert_eq!(
            s.open(&sealed, b"person-1").as_deref(),
            Some("JBSWY3DPEHPK3PXP")
        );
        assert_eq!(s.open(&sealed, b"person-2"), None, "moved to another row");
        let other = Sealer::new([7; 32]);
        assert_eq!(other.open(&sealed, b"person-1"), None, "another key");
        let mut tampered = sealed.clone();
        tampered.replace_range(
            sealed.len() - 2..,
            if sealed.ends_with("00") { "01" } else { "00" },
        );
        assert_eq!(s.open(&tampered, b"person-1"), None);
        assert_eq!(
            s.open("JBSWY3DPEHPK3PXP", b"person-1"),
            None,
            "plain values are not accepted"
        );
        assert!(Sealer::from_hex("abc").is_err());
    }
}
