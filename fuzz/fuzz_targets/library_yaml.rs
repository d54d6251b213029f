//! A library file, as `mamori library check` and an organisation's variant of a library
//! (`adaptation.yaml`, posted by its administrator) are loaded: `load_sources` over the
//! files of a shipped library, one of them replaced by the input.
//!
//! The input's first line chooses the file: `# mod-dsg/forms/application.yaml` replaces
//! that file of that library (or adds it, for `adaptation.yaml`). Without such a line the
//! input is a variant of `mod-external-service`, the way the web form stores one. Being a
//! YAML comment, the line leaves the rest of the file as the library wrote it, so the
//! shipped files themselves make the seed corpus.

#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mamori_library::adapt::ADAPTATION_FILE;
use mamori_library::form::{self, Completeness, Data};
use mamori_library::{Source, load_sources, shipped_sources};

/// The library a variant without a first line applies to.
const DEFAULT_LIBRARY: &str = "mod-external-service";

fn shipped() -> &'static BTreeMap<String, Vec<Source>> {
    static SOURCES: OnceLock<BTreeMap<String, Vec<Source>>> = OnceLock::new();
    SOURCES.get_or_init(shipped_sources)
}

/// The library and the path inside it that the first line names, if it names one.
fn target(text: &str) -> (&str, &str) {
    let first = text.lines().next().unwrap_or("");
    first
        .strip_prefix("# ")
        .and_then(|p| p.trim().split_once('/'))
        .filter(|(library, _)| shipped().contains_key(*library))
        .unwrap_or((DEFAULT_LIBRARY, ADAPTATION_FILE))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (library, path) = target(text);
    let Some(base) = shipped().get(library) else {
        return;
    };
    let mut sources: Vec<Source> = base.iter().filter(|s| s.path != path).cloned().collect();
    sources.push(Source {
        path: path.to_owned(),
        content: text.to_owned(),
    });
    let Ok(lib) = load_sources(sources) else {
        return;
    };
    // A library that loads is used at once: its forms (added fields and their
    // conditions included) check the empty form a case starts with.
    for f in lib.forms.values() {
        let mut data = Data::new();
        form::derive(&f.fields, &mut data, &form::Attached::new());
        let _ = form::validate(&f.fields, &data, Completeness::Draft);
        let _ = form::validate(&f.fields, &data, Completeness::Complete);
    }
});
