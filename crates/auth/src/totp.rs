//! Time-based one-time passwords (RFC 6238: SHA-1, six digits, 30-second steps), the
//! kind every authenticator app reads from a QR code.

use qrcode::QrCode;
use qrcode::render::svg;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// The issuer name shown in authenticator apps.
const ISSUER: &str = "mamori";

/// A fresh secret, base32-encoded.
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

fn totp(secret_b32: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_b32).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        // One step either side forgives a phone clock that is a little off.
        .with_skew(1)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .ok()
}

/// Checks a code at `unix_seconds`; returns the time step it matched, so the caller can
/// refuse the same step twice (a code is single-use).
pub fn check(secret_b32: &str, code: &str, unix_seconds: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    totp(secret_b32, "-")?.check(&code, unix_seconds)
}

/// The code for `unix_seconds` (for tests and for the enrolment page's self-check).
pub fn code_at(secret_b32: &str, unix_seconds: u64) -> Option<String> {
    Some(totp(secret_b32, "-")?.generate(unix_seconds).to_string())
}

/// The `otpauth://` URL and an SVG QR code of it, for enrolment.
pub fn enrolment(secret_b32: &str, account: &str) -> Option<(String, String)> {
    let url = totp(secret_b32, account)?.to_url().ok()?;
    let svg = QrCode::new(url.as_bytes())
        .ok()?
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Some((url, svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_check_within_one_step() {
        let s = new_secret();
        let t = 1_790_000_000;
        let code = code_at(&s, t).unwrap();
        assert_eq!(check(&s, &code, t), Some(t / 30));
        assert!(check(&s, &code, t + 30).is_some(), "one step of skew");
        assert!(check(&s, &code, t + 120).is_none());
        assert!(check(&s, "12345", t).is_none());
        assert!(check(&s, "abcdef", t).is_none());
        assert_eq!(
            check(&s, &format!("{} {}", &code[..3], &code[3..]), t),
            Some(t / 30)
        );
    }

    #[test]
    fn enrolment_gives_url_and_svg() {
        let (url, svg) = enrolment(&new_secret(), "taro@example.jp").unwrap();
        assert!(url.starts_with("otpauth://totp/mamori:taro%40example.jp?"));
        assert!(svg.contains("<svg"));
    }
}
