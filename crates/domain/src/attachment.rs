//! Which files may be attached to a case, judged from their name and first bytes.
//!
//! Attachments are evidence read by other organisations, so only the formats these
//! procedures actually exchange are accepted — PDF, images, plain text and CSV, and Office
//! documents — and a file's content must match its extension: an executable renamed to
//! `.pdf` is refused rather than stored and handed to the next reader.

/// A format mamori accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// PDF.
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// Plain text.
    Text,
    /// Comma-separated values.
    Csv,
    /// Word, Excel or PowerPoint (2007 and later: a ZIP package).
    OfficeOpenXml(&'static str),
    /// Word, Excel or PowerPoint 97–2003 (a compound file).
    OfficeLegacy(&'static str),
}

impl FileKind {
    /// The media type a download is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Text => "text/plain",
            FileKind::Csv => "text/csv",
            FileKind::OfficeOpenXml(t) | FileKind::OfficeLegacy(t) => t,
        }
    }
}

/// Why a file was refused; the code names the message shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The file is empty.
    #[error("attachment-empty")]
    Empty,
    /// The file is larger than the installation allows.
    #[error("attachment-too-large")]
    TooLarge,
    /// The file has no name, or only characters that cannot be kept.
    #[error("attachment-name")]
    Name,
    /// The extension is not one of the accepted formats.
    #[error("attachment-type")]
    Type,
    /// The content is not what the extension says.
    #[error("attachment-mismatch")]
    Mismatch,
    /// The field takes PDF files only.
    #[error("attachment-pdf-only")]
    PdfOnly,
}

impl Refusal {
    /// The message code.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Empty => "attachment-empty",
            Refusal::TooLarge => "attachment-too-large",
            Refusal::Name => "attachment-name",
            Refusal::Type => "attachment-type",
            Refusal::Mismatch => "attachment-mismatch",
            Refusal::PdfOnly => "attachment-pdf-only",
        }
    }
}

/// The extensions accepted, for messages and for the file picker.
pub const ACCEPTED: &str = ".pdf,.png,.jpg,.jpeg,.txt,.csv,.docx,.xlsx,.pptx,.doc,.xls,.ppt";

const PDF: &[u8] = b"%PDF-";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG: &[u8] = b"\xff\xd8\xff";
const ZIP: &[u8] = b"PK\x03\x04";
const COMPOUND: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";

/// Judges a file by its (cleaned) name and content.
pub fn classify(file_name: &str, content: &[u8], max_bytes: usize) -> Result<FileKind, Refusal> {
    if content.is_empty() {
        return Err(Refusal::Empty);
    }
    if content.len() > max_bytes {
        return Err(Refusal::TooLarge);
    }
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .ok_or(Refusal::Type)?;
    let (kind, signature): (FileKind, Option<&[u8]>) = match ext.as_str() {
        "pdf" => (FileKind::Pdf, Some(PDF)),
        "png" => (FileKind::Png, Some(PNG)),
        "jpg" | "jpeg" => (FileKind::Jpeg, Some(JPEG)),
        "txt" => (FileKind::Text, None),
        "csv" => (FileKind::Csv, None),
        "docx" => (FileKind::OfficeOpenXml(DOCX), Some(ZIP)),
        "xlsx" => (FileKind::OfficeOpenXml(XLSX), Some(ZIP)),
        "pptx" => (FileKind::OfficeOpenXml(PPTX), Some(ZIP)),
        "doc" => (FileKind::OfficeLegacy("application/msword"), Some(COMPOUND)),
        "xls" => (
            FileKind::OfficeLegacy("application/vnd.ms-excel"),
            Some(COMPOUND),
        ),
        "ppt" => (
            FileKind::OfficeLegacy("application/vnd.ms-powerpoint"),
            Some(COMPOUND),
        ),
        _ => return Err(Refusal::Type),
    };
    let fits = match signature {
        Some(sig) => content.starts_with(sig),
        // Text is any encoding people use here (UTF-8 or Shift_JIS from Excel), but never
        // a NUL byte, which every binary format has early on.
        None => !content.iter().take(64 * 1024).any(|b| *b == 0),
    };
    if fits {
        Ok(kind)
    } else {
        Err(Refusal::Mismatch)
    }
}

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const PPTX: &str = "application/vnd.openxmlformats-officedocument.presentationml.presentation";

/// The file name to keep: the last path component (browsers on Windows may send a whole
/// path), without control characters, direction controls or characters Windows forbids,
/// at most 200 characters with the extension kept. Direction controls are dropped rather
/// than replaced, so that the name shown is the name whose extension was judged:
/// `evil\u{202E}fdp.exe` becomes `evilfdp.exe`, not a `.pdf` look-alike.
pub fn clean_file_name(raw: &str) -> Result<String, Refusal> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| {
            !c.is_control()
                && !crate::validation::is_bidi_control(*c)
                && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return Err(Refusal::Name);
    }
    const MAX: usize = 200;
    if cleaned.chars().count() <= MAX {
        return Ok(cleaned.to_owned());
    }
    let (stem, ext) = cleaned.rsplit_once('.').unwrap_or((cleaned, ""));
    let keep = MAX.saturating_sub(ext.chars().count() + 1);
    let stem: String = stem.chars().take(keep).collect();
    Ok(if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1024;

    #[test]
    fn accepts_content_that_matches_its_extension() {
        assert_eq!(
            classify("申請書.pdf", b"%PDF-1.7\n", MAX),
            Ok(FileKind::Pdf)
        );
        assert_eq!(classify("画面.PNG", PNG, MAX), Ok(FileKind::Png));
        assert_eq!(
            classify("写真.jpeg", b"\xff\xd8\xff\xe0", MAX),
            Ok(FileKind::Jpeg)
        );
        assert_eq!(
            classify("一覧.xlsx", b"PK\x03\x04rest", MAX).map(FileKind::media_type),
            Ok(XLSX)
        );
        assert_eq!(
            classify("旧様式.xls", COMPOUND, MAX).map(FileKind::media_type),
            Ok("application/vnd.ms-excel")
        );
        // Shift_JIS text ("台帳") has no NUL byte and is accepted as text.
        assert_eq!(
            classify("台帳.csv", b"\x91\xe4\x92\xa0,1\r\n", MAX),
            Ok(FileKind::Csv)
        );
    }

    #[test]
    fn refuses_what_it_cannot_vouch_for() {
        assert_eq!(
            classify("report.pdf", b"MZ\x90\x00", MAX),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            classify("notes.txt", b"ab\x00cd", MAX),
            Err(Refusal::Mismatch)
        );
        assert_eq!(classify("tool.exe", b"MZ", MAX), Err(Refusal::Type));
        assert_eq!(classify("README", b"text", MAX), Err(Refusal::Type));
        assert_eq!(classify("a.pdf", b"", MAX), Err(Refusal::Empty));
        assert_eq!(
            classify("a.txt", &[b'a'; MAX + 1], MAX),
            Err(Refusal::TooLarge)
        );
        assert_eq!(classify("a.txt", &[b'a'; MAX], MAX), Ok(FileKind::Text));
    }

    #[test]
    fn keeps_a_safe_short_name() {
        assert_eq!(
            clean_file_name(r"C:\Users\山田\Desktop\申請書.pdf").as_deref(),
            Ok("申請書.pdf")
        );
        assert_eq!(clean_file_name("../../etc/passwd").as_deref(), Ok("passwd"));
        assert_eq!(clean_file_name("a\u{0}b?.txt").as_deref(), Ok("ab.txt"));
        // A right-to-left override would show `evilexe.pdf`; what is kept shows `.exe`,
        // the extension the type is judged by.
        assert_eq!(
            clean_file_name("evil\u{202E}fdp.exe").as_deref(),
            Ok("evilfdp.exe")
        );
        assert_eq!(
            clean_file_name("\u{2066}申請書\u{2069}\u{200F}.pdf").as_deref(),
            Ok("申請書.pdf")
        );
        assert_eq!(clean_file_name("...").unwrap_err(), Refusal::Name);
        assert_eq!(clean_file_name("  ").unwrap_err(), Refusal::Name);
        let long = format!("{}.pdf", "あ".repeat(300));
        let kept = clean_file_name(&long).unwrap();
        assert_eq!(kept.chars().count(), 200);
        assert!(kept.ends_with(".pdf"));
    }
}
