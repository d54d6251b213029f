//! Case documents as PDF, typeset by typst in process.
//!
//! A library's PDF document is a typst template. The case comes in as one JSON text in
//! `sys.inputs.context` (read with `json(bytes(sys.inputs.context))`), so values are
//! inserted as text and never parsed as markup: a service named `#exit` stays a name.
//! Templates cannot read files or import packages; the font is BIZ UD Gothic, a
//! universal-design Japanese face made for official documents, with DejaVu Sans behind it
//! for the symbols it lacks (the ticked box ☑ of paper forms), both embedded in the binary
//! and subset into each PDF.

use std::sync::OnceLock;

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Dict, Str, Value};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;

/// BIZ UD Gothic Regular (SIL Open Font License 1.1; from Debian's
/// fonts-morisawa-bizud-gothic, see `fonts/BIZUDGothic-COPYRIGHT`).
const FONT: &[u8] = include_bytes!("../fonts/BIZUDGothic-Regular.ttf");

/// DejaVu Sans (free license, see `fonts/DejaVuSans-COPYRIGHT`; from Debian's
/// fonts-dejavu-core): only for glyphs BIZ UD Gothic does not have.
const SYMBOLS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Set before every template: A4, the Japanese font, Japanese line breaking.
const PREAMBLE: &str = "#set page(paper: \"a4\", margin: (x: 20mm, y: 18mm))\n\
                        #set text(font: (\"BIZ UDGothic\", \"DejaVu Sans\"), lang: \"ja\", size: 10.5pt)\n";

/// Why a document could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TemplateError {
    /// The template's line (1-based), 0 when the problem has no place in it.
    pub line: usize,
    /// typst's message.
    pub message: String,
}

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = Font::new(Bytes::new(FONT), 0)
            .into_iter()
            .chain(Font::new(Bytes::new(SYMBOLS), 0))
            .collect();
        Fonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

/// One compilation: the template as the only file, the inputs, and the date.
struct Job {
    library: LazyHash<Library>,
    main: Source,
    today: jiff::civil::Date,
}

impl Job {
    fn new(template: &str, inputs: &[(&str, &str)], today: jiff::civil::Date) -> Self {
        let mut dict = Dict::new();
        for (key, value) in inputs {
            dict.insert(Str::from(*key), Value::Str(Str::from(*value)));
        }
        let id = RootedPath::new(
            VirtualRoot::Project,
            VirtualPath::new("/document.typ").expect("a valid path"),
        )
        .intern();
        Self {
            library: LazyHash::new(Library::builder().with_inputs(dict).build()),
            main: Source::new(id, format!("{PREAMBLE}{template}")),
            today,
        }
    }

    /// The template's line of a diagnostic (the preamble's lines are not the template's).
    fn line(&self, d: &SourceDiagnostic) -> usize {
        let preamble = PREAMBLE.lines().count();
        self.range(d.span)
            .map(|r| {
                let text = self.main.text();
                text[..r.start.min(text.len())].matches('\n').count() + 1
            })
            .map_or(0, |l| l.saturating_sub(preamble))
    }

    fn error(&self, errors: &[SourceDiagnostic]) -> TemplateError {
        let first = &errors[0];
        TemplateError {
            line: self.line(first),
            message: first.message.to_string(),
        }
    }
}

impl World for Job {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, _id: FileId) -> FileResult<Bytes> {
        // Templates read nothing but their inputs.
        Err(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Datetime::from_ymd(
            i32::from(self.today.year()),
            u8::try_from(self.today.month()).ok()?,
            u8::try_from(self.today.day()).ok()?,
        )
    }
}

/// Typesets `template` with `inputs` (readable as `sys.inputs`) into a PDF.
pub fn render(
    template: &str,
    inputs: &[(&str, &str)],
    today: jiff::civil::Date,
) -> Result<Vec<u8>, TemplateError> {
    let job = Job::new(template, inputs, today);
    let compiled = typst::compile::<PagedDocument>(&job).output;
    let result = compiled
        .map_err(|errors| job.error(&errors))
        .and_then(|doc| {
            typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default())
                .map_err(|errors| job.error(&errors))
        });
    // typst memoises across compilations; a long-running server must let old entries go.
    typst::comemo::evict(10);
    result
}

/// Compiles `template` against `inputs` (sample values) to find its mistakes.
pub fn check(template: &str, inputs: &[(&str, &str)]) -> Result<(), TemplateError> {
    let today = jiff::civil::date(2026, 4, 1);
    render(template, inputs, today).map(|_| ())
}

/// [`check`] in the shape a library checker takes: the case context as JSON text.
pub fn check_case_template(template: &str, context: &str) -> Result<(), (usize, String)> {
    check(template, &[("context", context)]).map_err(|e| (e.line, e.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "#let d = json(bytes(sys.inputs.context))\n\
                            = 外部サービス利用承認申請書\n\
                            #d.name さん、#datetime.today().display()\n";

    #[test]
    fn typesets_japanese_with_the_embedded_font() {
        let pdf = render(
            TEMPLATE,
            &[("context", r##"{"name": "#exit 申請 一郎"}"##)],
            jiff::civil::date(2026, 11, 22),
        )
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("BIZUDGothic"), "the font is embedded");
        assert!(text.contains("/FontFile2"), "as a TrueType subset");
        assert!(
            pdf.len() < 200_000,
            "subset, not the whole 4.6 MB face: {}",
            pdf.len()
        );
    }

    #[test]
    fn a_mistake_names_its_line_in_the_template() {
        let bad = "= 申請書\n#let d = json(bytes(sys.inputs.context))\n#d.missing.field\n";
        let err = check(bad, &[("context", "{}")]).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains("missing"), "{err}");
        let err = check("#table(columns: 2,\n", &[]).unwrap_err();
        assert_eq!(err.line, 1, "{err}");
    }

    #[test]
    fn templates_cannot_read_files() {
        let err = check("#read(\"/etc/passwd\")", &[]).unwrap_err();
        assert_eq!(err.line, 1);
    }
}
