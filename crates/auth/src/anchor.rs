//! Anchors of the audit trail: the chain's head (sequence number and hash) signed with an
//! Ed25519 key that lives outside the database.
//!
//! The hash chain shows that no event was removed, reordered or edited, unless whoever did
//! it recomputed every hash after the change — which anyone with write access to the
//! database can. An anchor taken earlier, kept where that person cannot reach (an auditor's
//! mailbox, another machine), pins what the chain said at that moment: a rewritten chain no
//! longer holds the anchored hash at the anchored position, and a new anchor cannot be made
//! without the key.
//!
//! An anchor is a short text, readable in a mail body and on paper:
//!
//! ```text
//! mamori audit anchor v1
//! seq: 1234
//! hash: 3f…(64 hex)
//! signed-at: 2026-12-06T00:05:00Z
//! key: ed25519:9a…(64 hex)
//! signature: 5c…(128 hex)
//! ```
//!
//! The signature covers every line before `signature:`, each ending in a newline.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// The first line, which also names the format.
const HEADER: &str = "mamori audit anchor v1";

/// The key that signs anchors.
#[derive(Clone)]
pub struct AnchorKey(SigningKey);

impl std::fmt::Debug for AnchorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AnchorKey(public {})", self.public().to_text())
    }
}

/// A public key that anchors are checked against.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AnchorPublicKey(VerifyingKey);

impl std::fmt::Debug for AnchorPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Why a key or an anchor was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    /// A key file or argument that is not what it should be.
    #[error("{0}")]
    BadKey(&'static str),
    /// The text is not an anchor (line and what was expected).
    #[error("not an anchor: {0}")]
    Malformed(String),
    /// Signed by a key other than the one trusted.
    #[error("signed by {found}, not by the trusted key {trusted}")]
    OtherKey {
        /// The key the anchor names.
        found: String,
        /// The key it was checked against.
        trusted: String,
    },
    /// The signature does not match the content: the anchor was altered or forged.
    #[error("the signature does not match the anchor's content")]
    BadSignature,
}

impl AnchorKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self(SigningKey::from_bytes(&rand::random::<[u8; 32]>()))
    }

    /// The key from its 32-byte seed written as 64 hexadecimal characters (the key file).
    pub fn from_hex(text: &str) -> Result<Self, AnchorError> {
        let seed = hex32(text.trim()).ok_or(AnchorError::BadKey(
            "an anchor key is 64 hexadecimal characters",
        ))?;
        Ok(Self(SigningKey::from_bytes(&seed)))
    }

    /// The seed as 64 hexadecimal characters, for the key file.
    pub fn to_hex(&self) -> String {
        hex(self.0.as_bytes())
    }

    /// The public half, which auditors keep to check anchors.
    pub fn public(&self) -> AnchorPublicKey {
        AnchorPublicKey(self.0.verifying_key())
    }

    /// Signs the head `(seq, hash)` at `signed_at` (RFC 3339, UTC).
    pub fn sign(&self, seq: i64, hash: [u8; 32], signed_at: &str) -> Anchor {
        let key = self.public();
        let signature = self
            .0
            .sign(signed_text(seq, &hash, signed_at, &key).as_bytes());
        Anchor {
            seq,
            hash,
            signed_at: signed_at.to_owned(),
            key,
            signature: signature.to_bytes(),
        }
    }
}

impl AnchorPublicKey {
    /// `ed25519:` and 64 hexadecimal characters, as anchors and the `.pub` file write it.
    pub fn to_text(&self) -> String {
        format!("ed25519:{}", hex(self.0.as_bytes()))
    }

    /// Reads `ed25519:HEX` or bare hex.
    pub fn parse(text: &str) -> Result<Self, AnchorError> {
        let text = text.trim();
        let bare = text.strip_prefix("ed25519:").unwrap_or(text);
        let bytes = hex32(bare).ok_or(AnchorError::BadKey(
            "a public key is `ed25519:` and 64 hexadecimal characters",
        ))?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| AnchorError::BadKey("not an Ed25519 public key"))
    }
}

/// A signed head of the audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The last event's sequence number when it was signed.
    pub seq: i64,
    /// That event's hash.
    pub hash: [u8; 32],
    /// When it was signed (RFC 3339, UTC), as written.
    pub signed_at: String,
    /// The key it says signed it.
    pub key: AnchorPublicKey,
    /// The signature.
    pub signature: [u8; 64],
}

impl Anchor {
    /// The text form (see the module's documentation).
    pub fn to_text(&self) -> String {
        format!(
            "{}signature: {}\n",
            signed_text(self.seq, &self.hash, &self.signed_at, &self.key),
            hex(&self.signature)
        )
    }

    /// Reads the text form. Blank lines and trailing spaces (a mail client's doing) are
    /// ignored; anything else out of place is refused.
    pub fn parse(text: &str) -> Result<Self, AnchorError> {
        let mut lines = text.lines().map(str::trim_end).filter(|l| !l.is_empty());
        if lines.next().map(str::trim) != Some(HEADER) {
            return Err(AnchorError::Malformed(format!(
                "the first line must be `{HEADER}`"
            )));
        }
        let mut field = |name: &str| -> Result<&str, AnchorError> {
            lines
                .next()
                .and_then(|l| l.trim().strip_prefix(name))
                .and_then(|v| v.strip_prefix(": "))
                .map(str::trim)
                .ok_or_else(|| AnchorError::Malformed(format!("expected `{name}: …`")))
        };
        let seq = field("seq")?
            .parse::<i64>()
            .ok()
            .filter(|s| *s >= 0)
            .ok_or_else(|| AnchorError::Malformed("seq is not a sequence number".into()))?;
        let hash = hex32(field("hash")?).ok_or_else(|| {
            AnchorError::Malformed("hash is not 64 hexadecimal characters".into())
        })?;
        let signed_at = field("signed-at")?.to_owned();
        let key = AnchorPublicKey::parse(field("key")?)?;
        let signature = hex64(field("signature")?).ok_or_else(|| {
            AnchorError::Malformed("signature is not 128 hexadecimal characters".into())
        })?;
        Ok(Self {
            seq,
            hash,
            signed_at,
            key,
            signature,
        })
    }

    /// Checks that `trusted` signed exactly this content.
    pub fn verify(&self, trusted: &AnchorPublicKey) -> Result<(), AnchorError> {
        if self.key != *trusted {
            return Err(AnchorError::OtherKey {
                found: self.key.to_text(),
                trusted: trusted.to_text(),
            });
        }
        let text = signed_text(self.seq, &self.hash, &self.signed_at, &self.key);
        trusted
            .0
            .verify(text.as_bytes(), &Signature::from_bytes(&self.signature))
            .map_err(|_| AnchorError::BadSignature)
    }
}

fn signed_text(seq: i64, hash: &[u8; 32], signed_at: &str, key: &AnchorPublicKey) -> String {
    format!(
        "{HEADER}\nseq: {seq}\nhash: {}\nsigned-at: {signed_at}\nkey: {}\n",
        hex(hash),
        key.to_text()
    )
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn hex32(text: &str) -> Option<[u8; 32]> {
    hex_bytes::<32>(text)
}

fn hex64(text: &str) -> Option<[u8; 64]> {
    hex_bytes::<64>(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: &str = "2026-12-06T00:05:00Z";

    #[test]
    fn an_anchor_survives_its_text_form_and_verifies() {
        let key = AnchorKey::generate();
        let anchor = key.sign(42, [7; 32], AT);
        let text = anchor.to_text();
        assert!(
            text.starts_with("mamori audit anchor v1\nseq: 42\n"),
            "{text}"
        );
        // As a mail client may hand it back: CRLF, indentation, blank lines.
        let mangled = format!("\r\n{}\r\n", text.replace('\n', "  \r\n"));
        let read = Anchor::parse(&mangled).unwrap();
        assert_eq!(read, anchor);
        read.verify(&key.public()).unwrap();
    }

    #[test]
    fn an_altered_anchor_or_another_key_is_refused() {
        let key = AnchorKey::generate();
        let anchor = key.sign(42, [7; 32], AT);

        let mut later = anchor.clone();
        later.seq = 41;
        assert_eq!(later.verify(&key.public()), Err(AnchorError::BadSignature));
        let mut other_hash = anchor.clone();
        other_hash.hash[0] ^= 1;
        assert_eq!(
            other_hash.verify(&key.public()),
            Err(AnchorError::BadSignature)
        );

        // Someone with their own key can sign whatever they like, but not as ours.
        let forger = AnchorKey::generate();
        let forged = forger.sign(42, [8; 32], AT);
        assert!(matches!(
            forged.verify(&key.public()),
            Err(AnchorError::OtherKey { .. })
        ));
        // Naming our key does not help without the signature to match.
        let mut posing = forged;
        posing.key = key.public();
        assert_eq!(posing.verify(&key.public()), Err(AnchorError::BadSignature));
    }

    #[test]
    fn keys_round_trip_and_bad_text_is_named() {
        let key = AnchorKey::generate();
        let again = AnchorKey::from_hex(&format!("{}\n", key.to_hex())).unwrap();
        assert_eq!(again.public(), key.public());
        assert_eq!(
            AnchorPublicKey::parse(&key.public().to_text()).unwrap(),
            key.public()
        );
        assert!(AnchorKey::from_hex("abc").is_err());
        assert!(AnchorPublicKey::parse("ed25519:zz").is_err());
        assert!(matches!(
            Anchor::parse("hello"),
            Err(AnchorError::Malformed(_))
        ));
        let text = key.sign(1, [0; 32], AT).to_text();
        let no_signature: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
        assert!(matches!(
            Anchor::parse(&no_signature),
            Err(AnchorError::Malformed(m)) if m.contains("signature")
        ));
    }
}
