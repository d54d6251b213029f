//! Documents rendered from a case with a template of the library.
//!
//! A template sees:
//!
//! - `case`: `id`, `number` (2026-0012, read aloud on the phone), `title`, `state`,
//!   `state_name`, `organisation`, `applicant`, `opened` (day and time), `today`, `mark`
//!   (the label of its classification or handling mark, empty when it has none; mamori
//!   prints it on every document anyway); `opened_wareki` and `today_wareki` are the same
//!   dates in 和暦 (令和8年2月27日), for notices that print every date that way;
//! - `fields`: the form's fields in order (the handling mark apart), each with `id`,
//!   `number` (①…), `label` and `value` (as a person reads it; empty when not filled);
//! - `value`: the same values by field id, the transitions' fields included;
//! - `data`: the raw values by field id (`true`/`false`, option ids, numbers);
//! - `wareki`: the case's date values (`2026-02-27`) in 和暦, by field id;
//! - `history`: each step with `at`, `actor`, `action` (a sentence: 「…さんが「承認する」を
//!   行い、「承認」になりました。」) and `comment`; `at_wareki` and `action_wareki` write its
//!   dates in 和暦.
//!
//! The filter `mark` turns a truth into ☑ or ☐, as on the paper forms. A name the template
//! uses that the case does not have is an error, not an empty string: a typo must not
//! print a form with a blank.
//!
//! A PDF template is typst markup; it receives the same context as JSON text in
//! `sys.inputs.context`. Typesetting lives in its own crate (`mamori-documents`), which
//! is heavy; whoever links it registers its checker with [`set_pdf_check`], and from then
//! on checking a library compiles every PDF template against [`sample_context`].

use minijinja::value::Serde;
use minijinja::{Environment, Error, UndefinedBehavior};
use serde_json::Value;

/// Steps a template may take before it is stopped: far above what any form needs, low
/// enough that a loop written by mistake cannot hold a server thread.
const FUEL: u64 = 200_000;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env.add_filter(
        "mark",
        |checked: minijinja::Value| {
            if checked.is_true() { "☑" } else { "☐" }
        },
    );
    env
}

/// Compiles a PDF template against a context (JSON text); on error, the line within the
/// template and the reason.
pub type PdfCheck = fn(&str, &str) -> Result<(), (usize, String)>;

static PDF_CHECK: std::sync::OnceLock<PdfCheck> = std::sync::OnceLock::new();

/// Registers the PDF checker (once per process; later calls are ignored).
pub fn set_pdf_check(check: PdfCheck) {
    let _ = PDF_CHECK.set(check);
}

/// Checks a PDF template, if a checker is registered.
pub(crate) fn check_pdf(template: &str, context: &Value) -> Result<(), (usize, String)> {
    match PDF_CHECK.get() {
        Some(check) => check(template, &context.to_string()),
        None => Ok(()),
    }
}

/// A context shaped like a real case's, every value empty, for checking templates.
pub fn sample_context(form: &[crate::model::Field], more: &[&crate::model::Field]) -> Value {
    let fields: Vec<Value> = form
        .iter()
        .map(|f| {
            serde_json::json!({
                "id": f.id(),
                "number": f.number.clone().unwrap_or_default(),
                "label": f.label.ja,
                "value": "",
            })
        })
        .collect();
    let values: serde_json::Map<String, Value> = form
        .iter()
        .chain(more.iter().copied())
        .map(|f| (f.id().to_owned(), Value::String(String::new())))
        .collect();
    serde_json::json!({
        "case": {
            "id": "00000000-0000-0000-0000-000000000000", "number": "2026-0001",
            "title": "", "state": "", "state_name": "", "organisation": "",
            "applicant": "", "opened": "", "opened_wareki": "", "today": "",
            "today_wareki": "", "mark": "",
        },
        "fields": fields,
        "value": values,
        "data": {},
        "wareki": {},
        "history": [{
            "at": "", "at_wareki": "", "actor": "", "action": "", "action_wareki": "",
            "comment": "",
        }],
    })
}

/// A context shaped like a register document's, with one row of empty values, for
/// checking templates: `register` (`id`, `title`, `organisation` — the organisation whose
/// rows it prints, or empty for all the reader sees —, `today`, `today_wareki`, `mark`),
/// `columns` (`id`, `label`) and `rows` (each with `organisation`, `value` — as people read
/// it —, `data` — as stored — and `wareki`, the dates in 和暦, by column id), and `holders`:
/// when one organisation is asked for, who holds each of the library's roles there and below
/// it today (`role`, `role_name`, `organisation`, `person`, `email`), in the library's order.
pub fn sample_register_context(columns: &[crate::model::Field]) -> Value {
    let empty: serde_json::Map<String, Value> = columns
        .iter()
        .map(|c| (c.id().to_owned(), Value::String(String::new())))
        .collect();
    serde_json::json!({
        "register": {
            "id": "", "title": "", "organisation": "", "today": "", "today_wareki": "",
            "mark": "",
        },
        "columns": columns.iter().map(|c| serde_json::json!({"id": c.id(), "label": c.label.ja})).collect::<Vec<_>>(),
        "rows": [{
            "organisation": "", "value": empty, "data": empty, "wareki": empty,
        }],
        "holders": [{
            "role": "", "role_name": "", "organisation": "", "person": "", "email": "",
        }],
    })
}

/// Whether a template reads; on error, the line within the template and the reason.
pub fn check(template: &str) -> Result<(), (usize, String)> {
    let env = environment();
    env.template_from_str(template)
        .map(|_| ())
        .map_err(|e| (e.line().unwrap_or(0), reason(&e)))
}

/// Renders a template over a case's context (see the module's documentation).
pub fn render(template: &str, context: &Value) -> Result<String, String> {
    let env = environment();
    let tmpl = env.template_from_str(template).map_err(|e| reason(&e))?;
    tmpl.render(Serde(context)).map_err(|e| match e.line() {
        Some(line) => format!("line {line}: {}", reason(&e)),
        None => reason(&e),
    })
}

/// Renders a template as [`render`] does, but every value it prints goes through
/// `escape` first: a sheet's layout (`format: xlsx` with a template) escapes what people
/// typed so that it stays in its cell.
pub fn render_escaped(
    template: &str,
    context: &Value,
    escape: fn(&str) -> String,
) -> Result<String, String> {
    let mut env = environment();
    env.set_formatter(move |out, _state, value| {
        let text = if value.is_undefined() || value.is_none() {
            String::new()
        } else {
            value.to_string()
        };
        out.write_str(&escape(&text)).map_err(Error::from)
    });
    let tmpl = env.template_from_str(template).map_err(|e| reason(&e))?;
    tmpl.render(Serde(context)).map_err(|e| match e.line() {
        Some(line) => format!("line {line}: {}", reason(&e)),
        None => reason(&e),
    })
}

fn reason(e: &Error) -> String {
    match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_marks_and_loops_render() {
        let out = render(
            "{{ case.title }}\n{% for f in fields %}\n{{ f.number }} {{ f.label }}: {{ f.value }}\n{% endfor %}\nアプリ {{ data.app | mark }} / {{ data.other | mark }}\n",
            &json!({
                "case": { "title": "翻訳サービスA" },
                "fields": [
                    { "number": "①", "label": "名称", "value": "翻訳サービスA" },
                    { "number": "②", "label": "提供者", "value": "" }
                ],
                "data": { "app": true, "other": false }
            }),
        )
        .unwrap();
        assert_eq!(
            out,
            "翻訳サービスA\n① 名称: 翻訳サービスA\n② 提供者: \nアプリ ☑ / ☐\n"
        );
    }

    #[test]
    fn a_misspelt_name_is_an_error_with_its_line() {
        let e = render(
            "一行目\n{{ case.titel }}\n",
            &json!({ "case": { "title": "x" } }),
        )
        .unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let (line, reason) = check("一行目\n{% for f in fields %}\n").unwrap_err();
        assert_eq!(line, 2, "{reason}");
    }

    #[test]
    fn a_runaway_template_is_stopped() {
        let e = render(
            "{% for a in range(1000) %}{% for b in range(1000) %}.{% endfor %}{% endfor %}",
            &json!({}),
        )
        .unwrap_err();
        assert!(e.contains("fuel"), "{e}");
    }
}
