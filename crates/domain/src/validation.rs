//! Per-field validation errors, carried as message codes so that the web layer can say them
//! in the reader's language.

use serde::Serialize;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the client sent it (`email`, `name`, …).
    pub field: &'static str,
    /// A message id in `locales/*/main.ftl` (without the `error-` prefix).
    pub code: &'static str,
    /// A number the message needs, such as a length limit.
    pub limit: Option<u32>,
}

/// Every problem found in one submission; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Records a problem.
    pub fn push(&mut self, field: &'static str, code: &'static str) {
        self.0.push(FieldError {
            field,
            code,
            limit: None,
        });
    }

    /// Records a problem with a limit that its message quotes.
    pub fn push_limit(&mut self, field: &'static str, code: &'static str, limit: u32) {
        self.0.push(FieldError {
            field,
            code,
            limit: Some(limit),
        });
    }

    /// Keeps the value when it parsed, records the error when it did not.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The recorded problems, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// The first problem recorded for `field`, if any.
    pub fn for_field(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }

    /// `Ok(())` when empty, otherwise the errors.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<FieldError> for FieldErrors {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

/// Trims `raw` and checks it is present, at most `max` characters, and free of control
/// characters (a name with a newline in it breaks every ledger it is printed in).
pub fn clean_text(field: &'static str, raw: &str, max: u32) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError {
            field,
            code: "required",
            limit: None,
        });
    }
    if value.chars().count() > max as usize {
        return Err(FieldError {
            field,
            code: "too-long",
            limit: Some(max),
        });
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError {
            field,
            code: "control-chars",
            limit: None,
        });
    }
    if value.chars().any(is_bidi_control) {
        return Err(FieldError {
            field,
            code: "bidi-control",
            limit: None,
        });
    }
    Ok(value.to_owned())
}

/// The invisible characters that change the direction text is shown in (embeddings,
/// overrides, isolates and marks). Nobody types them into a name, and they let a name or a
/// file name show something other than what it is: `evil\u{202E}fdp.exe` reads as
/// `evilexe.pdf`. `char::is_control` does not cover them (they are format characters).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_trims_and_limits() {
        assert_eq!(
            clean_text("name", "  防衛装備庁 ", 10).unwrap(),
            "防衛装備庁"
        );
        assert_eq!(clean_text("name", "   ", 10).unwrap_err().code, "required");
        // Ten kanji are ten characters, not thirty bytes.
        assert!(clean_text("name", "情報保証統括責任者室", 10).is_ok());
        let e = clean_text("name", "情報保証統括責任者室長", 10).unwrap_err();
        assert_eq!((e.code, e.limit), ("too-long", Some(10)));
        assert_eq!(
            clean_text("name", "a\nb", 10).unwrap_err().code,
            "control-chars"
        );
    }

    #[test]
    fn clean_text_refuses_every_bidi_control() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            let e = clean_text("name", &format!("山田{c}太郎"), 20).unwrap_err();
            assert_eq!(e.code, "bidi-control", "U+{:04X}", u32::from(c));
        }
        // Joiners are not direction controls: some scripts need them.
        assert!(clean_text("name", "a\u{200D}b", 10).is_ok());
    }
}
