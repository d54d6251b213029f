//! Messages in Japanese (the default) and English, from `locales/*/main.ftl`.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};
use mamori_domain::calendar::era::{DateStyle, era_year, wareki};
use mamori_domain::person::Locale;
use mamori_domain::{FieldError, FieldErrors};

static_loader! {
    static LOCALES = {
        locales: "../../locales",
        fallback_language: "ja",
        // Unicode isolation marks would show up in plain-text exports and e-mails.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Names of the roles the procedure libraries declare, set once when the server starts.
static LIBRARY_ROLES: std::sync::OnceLock<
    std::collections::BTreeMap<String, mamori_library::Text>,
> = std::sync::OnceLock::new();

/// Remembers the names of the libraries' roles (the first call wins: they are the same
/// libraries for the whole process).
pub fn learn_library_roles(libraries: &mamori_app::Libraries) {
    let _ = LIBRARY_ROLES.set(
        libraries
            .roles()
            .into_iter()
            .map(|(_, r)| (r.id.value.clone(), r.name.clone()))
            .collect(),
    );
}

static JA: LanguageIdentifier = langid!("ja");
static EN: LanguageIdentifier = langid!("en");

/// A stored value, or a reference to one (templates pass either).
pub trait Stored<T: Copy> {
    /// The value.
    fn get(&self) -> T;
}

impl Stored<mamori_app::read::Ts> for mamori_app::read::Ts {
    fn get(&self) -> mamori_app::read::Ts {
        *self
    }
}

impl Stored<mamori_app::read::Day> for mamori_app::read::Day {
    fn get(&self) -> mamori_app::read::Day {
        *self
    }
}

impl<T: Copy, S: Stored<T>> Stored<T> for &S {
    fn get(&self) -> T {
        (**self).get()
    }
}

/// A translator for one reader's language, writing dates as the reader chose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tr {
    locale: Locale,
    dates: DateStyle,
}

impl Tr {
    /// A translator for `locale`, writing dates in 西暦 until told otherwise
    /// ([`Tr::dated`]): for readers not signed in.
    pub fn new(locale: Locale) -> Self {
        Tr {
            locale,
            dates: DateStyle::Seireki,
        }
    }

    /// The same translator, writing dates in `dates` (a person's choice on the account
    /// page).
    pub fn dated(self, dates: DateStyle) -> Self {
        Self { dates, ..self }
    }

    /// The translator a logged-in person reads pages with: their language and their
    /// choice of calendar.
    pub fn of(s: &mamori_app::SessionInfo) -> Self {
        Tr::new(s.locale).dated(s.date_style)
    }

    /// The reader's language.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// How dates are written.
    pub fn dates(&self) -> DateStyle {
        self.dates
    }

    fn lang(&self) -> &'static LanguageIdentifier {
        match self.locale {
            Locale::Ja => &JA,
            Locale::En => &EN,
        }
    }

    /// The message `key`; the key itself if missing (a test keeps that from shipping).
    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(self.lang(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with one named argument.
    pub fn t1(&self, key: &str, name: &'static str, value: impl std::fmt::Display) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(Cow::Borrowed(name), FluentValue::from(value.to_string()));
        LOCALES
            .try_lookup_with_args(self.lang(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with several named arguments.
    pub fn tn(&self, key: &str, args: &[(&'static str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
            .collect();
        LOCALES
            .try_lookup_with_args(self.lang(), key, &map)
            .unwrap_or_else(|| key.to_owned())
    }

    /// How many rows a list holds: 「全 12 件」, or 「1000 件以上」 when the list stopped
    /// counting (see `mamori_storage::COUNT_CAP`).
    pub fn total(&self, total: &i64, exact: &bool) -> String {
        let key = if *exact {
            "count-total"
        } else {
            "count-at-least"
        };
        self.t1(key, "count", total)
    }

    /// A library text in the reader's language.
    pub fn text<'a>(&self, text: &'a mamori_library::Text) -> &'a str {
        text.get(self.code())
    }

    /// The message for one problem with a library form's field, naming its label.
    pub fn form_error(&self, p: &mamori_app::FormProblem) -> String {
        self.tn(
            &format!("form-{}", p.code.replace('_', "-")),
            &[
                ("label", self.text(&p.label).to_owned()),
                ("limit", p.limit.clone().unwrap_or_default()),
            ],
        )
    }

    /// `ja` or `en`, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.locale.as_str()
    }

    /// The message for one field problem.
    pub fn field_error(&self, e: &FieldError) -> String {
        let key = format!("error-{}", e.code);
        match e.limit {
            Some(limit) => self.t1(&key, "limit", limit),
            None => self.t(&key),
        }
    }

    /// Every field's first problem, as (field, message), in the order found.
    pub fn field_errors(&self, errors: &FieldErrors) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for e in errors.iter() {
            if !out.iter().any(|(f, _)| f == e.field) {
                out.push((e.field.to_owned(), self.field_error(e)));
            }
        }
        out
    }

    /// A date and time in the reader's convention, in Japan time: 和暦 in Japanese for
    /// those who chose it. English keeps ISO dates (eras are not read in English).
    pub fn datetime(&self, ts: impl Stored<mamori_app::read::Ts>) -> String {
        let zoned = ts
            .get()
            .0
            .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::UTC));
        match (self.locale, self.dates) {
            (Locale::Ja, DateStyle::Seireki) => {
                zoned.strftime("%Y年%-m月%-d日 %H:%M:%S").to_string()
            }
            (Locale::Ja, DateStyle::Wareki) => {
                format!("{} {}", wareki(zoned.date()), zoned.strftime("%H:%M:%S"))
            }
            (Locale::En, _) => zoned.strftime("%Y-%m-%d %H:%M:%S JST").to_string(),
        }
    }

    /// A day: in Japanese in 西暦 with the era beside it (2026年2月27日（令和8年）), or in
    /// 和暦 alone for those who chose it.
    pub fn day(&self, day: impl Stored<mamori_app::read::Day>) -> String {
        let d = day.get().0;
        match (self.locale, self.dates) {
            (Locale::Ja, DateStyle::Seireki) => {
                let era = era_year(d).map_or_else(String::new, |(era, year)| match year {
                    1 => format!("（{era}元年）"),
                    _ => format!("（{era}{year}年）"),
                });
                format!("{}年{}月{}日{era}", d.year(), d.month(), d.day())
            }
            (Locale::Ja, DateStyle::Wareki) => wareki(d),
            (Locale::En, _) => d.to_string(),
        }
    }

    /// Name of an organisation kind.
    pub fn org_kind(&self, kind: &str) -> String {
        self.t(&format!("kind-{kind}"))
    }

    /// Name of a role.
    pub fn role(&self, role: &str) -> String {
        let key = format!("role-{role}");
        let name = self.t(&key);
        if name != key {
            return name;
        }
        // A role of a procedure library is named by the library.
        LIBRARY_ROLES
            .get()
            .and_then(|roles| roles.get(role))
            .map_or_else(|| role.to_owned(), |t| t.get(self.code()).to_owned())
    }

    /// Name of an audit action, or its id where none is written.
    pub fn action(&self, action: &str) -> String {
        let key = format!("action-{}", action.replace(['.', '_'], "-"));
        let name = self.t(&key);
        if name == key { action.to_owned() } else { name }
    }

    /// Name of a relation kind.
    pub fn relation(&self, kind: &str) -> String {
        self.t(&format!("relation-{kind}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(text: &str) -> BTreeSet<String> {
        text.lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .map(|l| l.split(" =").next().unwrap_or_default().trim().to_owned())
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let ja = keys(include_str!("../../../locales/ja/main.ftl"));
        let en = keys(include_str!("../../../locales/en/main.ftl"));
        assert!(ja.len() > 50);
        let missing_en: Vec<_> = ja.difference(&en).collect();
        let missing_ja: Vec<_> = en.difference(&ja).collect();
        assert!(
            missing_en.is_empty() && missing_ja.is_empty(),
            "en lacks {missing_en:?}, ja lacks {missing_ja:?}"
        );
    }

    #[test]
    fn every_key_used_in_templates_exists() {
        let ja = keys(include_str!("../../../locales/ja/main.ftl"));
        // The folder of this checkout (set when the test runs), not of the one that
        // compiled it: a shared target folder may hold a binary built elsewhere.
        let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap() + "/templates";
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(p) = stack.pop() {
            for entry in std::fs::read_dir(&p).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for part in text
                    .split(".t(\"")
                    .skip(1)
                    .chain(text.split(".t1(\"").skip(1))
                {
                    let key = part.split('"').next().unwrap();
                    if !ja.contains(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "missing messages: {missing:#?}");
    }

    #[test]
    fn messages_and_errors_read_in_each_language() {
        let e = FieldError {
            field: "name",
            code: "too-long",
            limit: Some(200),
        };
        assert!(Tr::new(Locale::Ja).field_error(&e).contains("200"));
        assert!(Tr::new(Locale::En).field_error(&e).contains("200"));
        assert_ne!(
            Tr::new(Locale::Ja).field_error(&e),
            Tr::new(Locale::En).field_error(&e)
        );
        assert_eq!(
            Tr::new(Locale::Ja).day(mamori_app::read::Day(jiff::civil::date(2026, 2, 27))),
            "2026年2月27日（令和8年）"
        );
    }

    #[test]
    fn a_reader_who_chose_wareki_reads_era_dates() {
        let tr = Tr::new(Locale::Ja).dated(DateStyle::Wareki);
        let day = mamori_app::read::Day(jiff::civil::date(2026, 2, 27));
        assert_eq!(tr.day(day), "令和8年2月27日");
        let at = mamori_app::read::Ts("2026-02-27T01:02:03Z".parse().unwrap());
        assert_eq!(tr.datetime(at), "令和8年2月27日 10:02:03");
        assert_eq!(Tr::new(Locale::Ja).datetime(at), "2026年2月27日 10:02:03");
        // English stays ISO whatever the choice.
        assert_eq!(
            Tr::new(Locale::En).dated(DateStyle::Wareki).day(day),
            "2026-02-27"
        );
    }
}
