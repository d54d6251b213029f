//! Persons and what they type about themselves: names, e-mail addresses, passwords.

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, clean_text};

/// Longest name accepted, in characters.
pub const NAME_MAX: u32 = 100;
/// Longest e-mail address (RFC 5321 path limit).
pub const EMAIL_MAX: u32 = 254;
/// Shortest password accepted. Length, not composition, is what resists guessing.
pub const PASSWORD_MIN: u32 = 10;
/// Longest password accepted: argon2 is fed the whole string, so cap it.
pub const PASSWORD_MAX: u32 = 128;

/// A person's display name (氏名).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// Trims and checks a name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        clean_text("name", raw, NAME_MAX).map(Self)
    }
}

impl AsRef<str> for PersonName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A login e-mail address, lower-cased so that one mailbox is one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Checks the shape `local@domain.tld` without pretending to validate deliverability.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = clean_text("email", raw, EMAIL_MAX)?.to_lowercase();
        let invalid = FieldError {
            field: "email",
            code: "invalid-email",
            limit: None,
        };
        let (local, domain) = value.split_once('@').ok_or(invalid.clone())?;
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && value.chars().all(|c| c.is_ascii_graphic());
        if ok { Ok(Self(value)) } else { Err(invalid) }
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the rules; the old one is never re-validated.
#[derive(Clone)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(****)")
    }
}

impl NewPassword {
    /// Checks length and that the password is not the e-mail address itself.
    pub fn parse(field: &'static str, raw: &str, email: Option<&str>) -> Result<Self, FieldError> {
        let n = raw.chars().count() as u32;
        if n == 0 {
            return Err(FieldError {
                field,
                code: "required",
                limit: None,
            });
        }
        if n < PASSWORD_MIN {
            return Err(FieldError {
                field,
                code: "too-short",
                limit: Some(PASSWORD_MIN),
            });
        }
        if n > PASSWORD_MAX {
            return Err(FieldError {
                field,
                code: "too-long",
                limit: Some(PASSWORD_MAX),
            });
        }
        if email.is_some_and(|e| e.eq_ignore_ascii_case(raw.trim())) {
            return Err(FieldError {
                field,
                code: "password-is-email",
                limit: None,
            });
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The language a person reads mamori in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// 日本語, the default.
    #[default]
    Ja,
    /// English.
    En,
}

impl Locale {
    /// The BCP 47 tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Ja => "ja",
            Locale::En => "en",
        }
    }

    /// Parses a stored tag; anything unknown reads as Japanese.
    pub fn parse_or_default(s: &str) -> Self {
        if s.eq_ignore_ascii_case("en") || s.to_ascii_lowercase().starts_with("en-") {
            Locale::En
        } else {
            Locale::Ja
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Taro@Example.JP ").unwrap().as_ref(),
            "taro@example.jp"
        );
        for bad in [
            "taro",
            "@example.jp",
            "taro@example",
            "taro@.jp",
            "太郎@example.jp",
            "a@b@c.jp",
        ] {
            assert_eq!(
                Email::parse(bad).unwrap_err().code,
                "invalid-email",
                "{bad}"
            );
        }
        assert_eq!(Email::parse("").unwrap_err().code, "required");
    }

    #[test]
    fn password_rules() {
        assert_eq!(
            NewPassword::parse("new", "short", None).unwrap_err().code,
            "too-short"
        );
        assert!(NewPassword::parse("new", "ながいパスワードです十文字", None).is_ok());
        let long = "x".repeat(129);
        assert_eq!(
            NewPassword::parse("new", &long, None).unwrap_err().code,
            "too-long"
        );
        assert_eq!(
            NewPassword::parse("new", "Taro@Example.jp", Some("taro@example.jp"))
                .unwrap_err()
                .code,
            "password-is-email"
        );
        assert!(
            !format!(
                "{:?}",
                NewPassword::parse("new", "0123456789", None).unwrap()
            )
            .contains('0')
        );
    }

    #[test]
    fn locale_defaults_to_japanese() {
        assert_eq!(Locale::parse_or_default("en-US"), Locale::En);
        assert_eq!(Locale::parse_or_default("fr"), Locale::Ja);
    }
}
