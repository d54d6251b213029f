//! The audit trail (証跡): events, their canonical encoding, and the hash chain over them.
//!
//! Each event's hash is SHA-256 over the previous event's hash and the event's canonical
//! encoding. The encoding is our own length-prefixed format with a version byte, not JSON,
//! so that no change in a serializer can ever make an intact chain look broken.
//!
//! Encoding 1 hashes an event's detail itself. Encoding 2 (every event written since) hashes
//! the SHA-256 of the detail, kept beside it: the detail is checked against that digest,
//! and when a record the event describes is deleted at the end of its retention, the
//! detail can be removed (redacted) while the chain still verifies — the trail keeps that
//! the event happened and what it hashed to, not what it said.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The encoding new events are written in: the detail's digest, not the detail, is hashed.
pub const ENCODING: u8 = 2;

/// What a redacted event's detail reads.
pub const REDACTED: &str = r#"{"redacted":true}"#;

/// The SHA-256 (hex) of a detail, as encoding 2 hashes it.
pub fn detail_digest(detail: &str) -> String {
    String::from_utf8_lossy(&hex32(&Sha256::digest(detail.as_bytes()).into())).into_owned()
}

/// The hash that the first event chains from.
pub const GENESIS: [u8; 32] = [0; 32];

/// Whether the audited attempt succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The change or login happened.
    Success,
    /// Refused by policy (権限なし).
    Denied,
    /// Failed for another reason (wrong password, locked account).
    Failure,
}

impl Outcome {
    /// The stored identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }
}

/// An event as written to, and read back from, the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Position in the chain, from 1 with no gaps.
    pub seq: i64,
    /// When it happened, in microseconds since the Unix epoch (UTC).
    pub occurred_at_us: i64,
    /// Who acted, if anyone was logged in.
    pub actor: Option<Uuid>,
    /// Which organisation's trail it belongs to, if any.
    pub organisation: Option<Uuid>,
    /// What was done, as a dotted id (`person.create`, `login`, …).
    pub action: String,
    /// The kind of thing acted on (`person`, `organisation`, …).
    pub target_kind: String,
    /// The thing acted on.
    pub target_id: Option<String>,
    /// `success`, `denied` or `failure`.
    pub outcome: String,
    /// Details as a JSON object, stored exactly as written (or [`REDACTED`]).
    pub detail: String,
    /// The client address, if known.
    pub ip: Option<String>,
    /// The encoding its hash covers: 1 (the detail) or 2 (the detail's digest).
    pub encoding: u8,
    /// For encoding 2: the SHA-256 (hex) of the detail as written.
    pub detail_sha256: Option<String>,
    /// The detail was removed when what it describes was deleted.
    pub redacted: bool,
}

impl AuditEvent {
    /// The event's fields, borrowed.
    pub fn view(&self) -> EventView<'_> {
        EventView {
            seq: self.seq,
            occurred_at_us: self.occurred_at_us,
            actor: self.actor,
            organisation: self.organisation,
            action: &self.action,
            target_kind: &self.target_kind,
            target_id: self.target_id.as_deref(),
            outcome: &self.outcome,
            detail: &self.detail,
            ip: self.ip.as_deref(),
            encoding: self.encoding,
            detail_sha256: self.detail_sha256.as_deref(),
            redacted: self.redacted,
        }
    }

    /// The canonical bytes that the hash covers.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.view().encode(&mut out);
        out
    }

    /// Whether the detail is what was hashed (see [`EventView::detail_intact`]).
    pub fn detail_intact(&self) -> bool {
        self.view().detail_intact()
    }

    /// The hash of this event chained onto `prev`.
    pub fn hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        self.view().hash(prev)
    }
}

/// An event's fields as read from storage, borrowed from the row: what a verifier needs
/// without copying each field into a string of its own.
#[derive(Debug, Clone, Copy)]
pub struct EventView<'a> {
    /// See [`AuditEvent::seq`].
    pub seq: i64,
    /// See [`AuditEvent::occurred_at_us`].
    pub occurred_at_us: i64,
    /// See [`AuditEvent::actor`].
    pub actor: Option<Uuid>,
    /// See [`AuditEvent::organisation`].
    pub organisation: Option<Uuid>,
    /// See [`AuditEvent::action`].
    pub action: &'a str,
    /// See [`AuditEvent::target_kind`].
    pub target_kind: &'a str,
    /// See [`AuditEvent::target_id`].
    pub target_id: Option<&'a str>,
    /// See [`AuditEvent::outcome`].
    pub outcome: &'a str,
    /// See [`AuditEvent::detail`].
    pub detail: &'a str,
    /// See [`AuditEvent::ip`].
    pub ip: Option<&'a str>,
    /// See [`AuditEvent::encoding`].
    pub encoding: u8,
    /// See [`AuditEvent::detail_sha256`].
    pub detail_sha256: Option<&'a str>,
    /// See [`AuditEvent::redacted`].
    pub redacted: bool,
}

/// Where the canonical encoding is written: a buffer, or straight into the hash.
trait Sink {
    fn put(&mut self, bytes: &[u8]);

    /// A field: its length (four bytes, big-endian), then its bytes. Length prefixes make
    /// the encoding unambiguous: no field can swallow the next.
    fn field(&mut self, bytes: &[u8]) {
        self.put(&(bytes.len() as u32).to_be_bytes());
        self.put(bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// A number in decimal, on the stack.
fn decimal(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    use std::io::Write as _;
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    // Twenty bytes hold every i64, sign included.
    let _ = write!(cursor, "{n}");
    let len = cursor.position() as usize;
    &buf[..len]
}

/// Lower-case hex of a digest, on the stack.
fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0_u8; 64];
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
    }
    out
}

impl EventView<'_> {
    fn encode(&self, sink: &mut impl Sink) {
        let mut number = [0_u8; 20];
        let mut uuid = [0_u8; 36];
        let mut uuid_field = |sink: &mut _, u: Option<Uuid>| match u {
            Some(u) => Sink::field(sink, u.hyphenated().encode_lower(&mut uuid).as_bytes()),
            None => Sink::field(sink, b""),
        };
        sink.put(&[self.encoding]);
        sink.field(decimal(self.seq, &mut number));
        sink.field(decimal(self.occurred_at_us, &mut number));
        uuid_field(sink, self.actor);
        uuid_field(sink, self.organisation);
        sink.field(self.action.as_bytes());
        sink.field(self.target_kind.as_bytes());
        sink.field(self.target_id.unwrap_or_default().as_bytes());
        sink.field(self.outcome.as_bytes());
        let detail = if self.encoding >= 2 {
            self.detail_sha256.unwrap_or_default()
        } else {
            self.detail
        };
        sink.field(detail.as_bytes());
        sink.field(self.ip.unwrap_or_default().as_bytes());
    }

    /// Whether the detail is what was hashed: itself (encoding 1), or matching its digest
    /// (encoding 2) unless it was redacted.
    pub fn detail_intact(&self) -> bool {
        match (self.encoding, self.detail_sha256) {
            (1, _) => !self.redacted,
            (_, None) => false,
            (_, Some(_)) if self.redacted => self.detail == REDACTED,
            (_, Some(d)) => {
                hex32(&Sha256::digest(self.detail.as_bytes()).into()).as_slice() == d.as_bytes()
            }
        }
    }

    /// The hash of this event chained onto `prev`.
    pub fn hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(prev);
        self.encode(&mut h);
        h.finalize().into()
    }
}

/// Why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// An event is missing before `seq` (a row was removed).
    #[error("event {expected} is missing (the next event found is {seq})")]
    Gap {
        /// The event found.
        seq: i64,
        /// The number that should have come.
        expected: i64,
    },
    /// The event's recorded previous hash does not match the event before it.
    #[error(
        "event {seq}: its link to the previous event does not match (an earlier event was changed or removed)"
    )]
    BrokenLink {
        /// The event.
        seq: i64,
    },
    /// The event's content no longer matches its hash.
    #[error("event {seq}: its content does not match its hash (the event was altered)")]
    Altered {
        /// The event.
        seq: i64,
    },
    /// The trail ends before the recorded head (events at the end were removed).
    #[error(
        "the trail ends at event {last} but its head records event {head}: events at the end were removed"
    )]
    Truncated {
        /// The last event found.
        last: i64,
        /// The head's sequence number.
        head: i64,
    },
    /// The head's hash does not match the last event.
    #[error("the head hash does not match event {last}")]
    HeadMismatch {
        /// The last event found.
        last: i64,
    },
}

impl ChainError {
    /// The first event that fails, for the operator to look at.
    pub fn seq(&self) -> i64 {
        match self {
            ChainError::Gap { expected, .. } => *expected,
            ChainError::BrokenLink { seq } | ChainError::Altered { seq } => *seq,
            ChainError::Truncated { last, .. } | ChainError::HeadMismatch { last } => *last + 1,
        }
    }
}

/// Walks a trail in order, one stored event at a time.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev: [u8; 32],
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev: GENESIS,
        }
    }
}

impl ChainVerifier {
    /// Checks the next stored event with its stored `prev_hash` and `hash`.
    pub fn next(
        &mut self,
        event: &AuditEvent,
        prev_hash: &[u8],
        hash: &[u8],
    ) -> Result<(), ChainError> {
        self.next_view(&event.view(), prev_hash, hash)
    }

    /// [`ChainVerifier::next`] over a borrowed event.
    pub fn next_view(
        &mut self,
        event: &EventView<'_>,
        prev_hash: &[u8],
        hash: &[u8],
    ) -> Result<(), ChainError> {
        if event.seq != self.expected_seq {
            return Err(ChainError::Gap {
                seq: event.seq,
                expected: self.expected_seq,
            });
        }
        if prev_hash != self.prev {
            return Err(ChainError::BrokenLink { seq: event.seq });
        }
        let computed = event.hash(&self.prev);
        if hash != computed || !event.detail_intact() {
            return Err(ChainError::Altered { seq: event.seq });
        }
        self.prev = computed;
        self.expected_seq += 1;
        Ok(())
    }

    /// Checks the end of the trail against the head row (sequence number and hash).
    pub fn finish(self, head_seq: i64, head_hash: &[u8]) -> Result<i64, ChainError> {
        let last = self.expected_seq - 1;
        if last != head_seq {
            return Err(ChainError::Truncated {
                last,
                head: head_seq,
            });
        }
        if head_hash != self.prev {
            return Err(ChainError::HeadMismatch { last });
        }
        Ok(last)
    }
}

/// Lower-case hexadecimal, for showing hashes to people.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64) -> AuditEvent {
        AuditEvent {
            seq,
            occurred_at_us: 1_790_000_000_000_000 + seq,
            actor: Some(Uuid::from_u128(7)),
            organisation: None,
            action: "person.create".into(),
            target_kind: "person".into(),
            target_id: Some(format!("p{seq}")),
            outcome: "success".into(),
            detail: r#"{"name":"山田太郎"}"#.into(),
            ip: Some("127.0.0.1".into()),
            encoding: ENCODING,
            detail_sha256: Some(detail_digest(r#"{"name":"山田太郎"}"#)),
            redacted: false,
        }
    }

    /// A chain of `n` events as stored: (event, prev_hash, hash).
    fn chain(n: i64) -> Vec<(AuditEvent, [u8; 32], [u8; 32])> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let e = event(seq);
                let h = e.hash(&prev);
                let row = (e, prev, h);
                prev = h;
                row
            })
            .collect()
    }

    fn verify(
        rows: &[(AuditEvent, [u8; 32], [u8; 32])],
        head: (i64, [u8; 32]),
    ) -> Result<i64, ChainError> {
        let mut v = ChainVerifier::default();
        for (e, p, h) in rows {
            v.next(e, p, h)?;
        }
        v.finish(head.0, &head.1)
    }

    #[test]
    fn intact_chain_verifies() {
        let rows = chain(5);
        let head = (5, rows[4].2);
        assert_eq!(verify(&rows, head), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS)), Ok(0));
    }

    #[test]
    fn every_single_change_is_caught_at_its_event() {
        let rows = chain(5);
        let head = (5, rows[4].2);
        for i in 0..5 {
            let mut altered = rows.clone();
            altered[i].0.detail = r#"{"name":"山田次郎"}"#.into();
            assert_eq!(
                verify(&altered, head),
                Err(ChainError::Altered { seq: i as i64 + 1 })
            );

            let mut removed = rows.clone();
            removed.remove(i);
            let err = verify(&removed, head).unwrap_err();
            assert_eq!(err.seq(), i as i64 + 1, "{err}");
        }
        // Swapping two events breaks the sequence at the first of them.
        let mut swapped = rows.clone();
        swapped.swap(1, 2);
        assert_eq!(verify(&swapped, head).unwrap_err().seq(), 2);
        // Re-hashing an altered event still breaks the link of the next one.
        let mut rehashed = rows.clone();
        rehashed[2].0.action = "person.delete".into();
        rehashed[2].2 = rehashed[2].0.hash(&rehashed[2].1);
        assert_eq!(
            verify(&rehashed, head),
            Err(ChainError::BrokenLink { seq: 4 })
        );
    }

    #[test]
    fn a_redacted_detail_keeps_the_chain_and_a_changed_one_does_not() {
        let rows = chain(3);
        let head = (3, rows[2].2);
        let mut redacted = rows.clone();
        redacted[1].0.detail = REDACTED.into();
        redacted[1].0.redacted = true;
        assert_eq!(verify(&redacted, head), Ok(3));
        // Marked redacted but still saying something: altered.
        let mut lying = rows.clone();
        lying[1].0.detail = r#"{"name":"山田次郎"}"#.into();
        lying[1].0.redacted = true;
        assert_eq!(verify(&lying, head), Err(ChainError::Altered { seq: 2 }));
        // The digest itself cannot change without breaking the hash.
        let mut redigested = rows.clone();
        redigested[1].0.detail = r#"{"name":"山田次郎"}"#.into();
        redigested[1].0.detail_sha256 = Some(detail_digest(r#"{"name":"山田次郎"}"#));
        assert_eq!(
            verify(&redigested, head),
            Err(ChainError::Altered { seq: 2 })
        );
    }

    #[test]
    fn an_event_of_the_first_encoding_still_verifies_and_cannot_be_redacted() {
        let mut e = event(1);
        e.encoding = 1;
        e.detail_sha256 = None;
        let h = e.hash(&GENESIS);
        let mut v = ChainVerifier::default();
        assert_eq!(v.next(&e, &GENESIS, &h), Ok(()));
        let mut r = e.clone();
        r.detail = REDACTED.into();
        r.redacted = true;
        let mut v = ChainVerifier::default();
        assert!(v.next(&r, &GENESIS, &h).is_err());
    }

    #[test]
    fn the_encoding_is_pinned_byte_for_byte() {
        // Stored chains were hashed over exactly these bytes: any change here would make
        // every intact trail read as altered.
        let mut e = event(12);
        e.organisation = Some(Uuid::from_u128(0xabc));
        e.occurred_at_us = -5;
        let digest = detail_digest(r#"{"name":"山田太郎"}"#);
        let mut expected = vec![2_u8];
        for field in [
            "12",
            "-5",
            "00000000-0000-0000-0000-000000000007",
            "00000000-0000-0000-0000-000000000abc",
            "person.create",
            "person",
            "p12",
            "success",
            &digest,
            "127.0.0.1",
        ] {
            expected.extend_from_slice(&(field.len() as u32).to_be_bytes());
            expected.extend_from_slice(field.as_bytes());
        }
        assert_eq!(e.canonical(), expected);
        let mut h = Sha256::new();
        h.update([9_u8; 32]);
        h.update(&expected);
        assert_eq!(e.hash(&[9; 32]), <[u8; 32]>::from(h.finalize()));
        // The digest is lower-case hex of SHA-256, as `hex` prints it.
        assert_eq!(
            detail_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn fields_cannot_bleed_into_each_other() {
        let mut a = event(1);
        let mut b = event(1);
        a.action = "ab".into();
        a.target_kind = "c".into();
        b.action = "a".into();
        b.target_kind = "bc".into();
        assert_ne!(a.canonical(), b.canonical());
    }
}
