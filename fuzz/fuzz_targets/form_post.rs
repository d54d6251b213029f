//! A case form posted as `application/x-www-form-urlencoded`, without a server: the body
//! decoded as the web crate's form extractors do (`serde_urlencoded` into name/value
//! pairs), read into a case's data for each shipped form (`form::from_pairs`), completed
//! (`form::derive`) and checked (`form::validate`) as a draft and as submitted; the
//! fields an action asks for are checked the same way, and data that passes decides the
//! procedure's conditions. A body that is a JSON object is also taken as the API's
//! `data`, which reaches the same checks with values of any JSON type.

#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mamori_library::Library;
use mamori_library::condition::{self, Facts};
use mamori_library::form::{self, Completeness, Data};
use mamori_library::model::{Field, Procedure};

fn libraries() -> &'static [Library] {
    static LIBRARIES: OnceLock<Vec<Library>> = OnceLock::new();
    LIBRARIES.get_or_init(|| match mamori_library::shipped() {
        Ok(l) => l,
        Err(problems) => panic!("the shipped libraries do not load: {problems:?}"),
    })
}

/// Completes and checks data against one list of fields; the clean data if it passes.
fn check(fields: &[Field], mut data: Data) -> Option<Data> {
    form::derive(fields, &mut data, &form::Attached::new());
    let draft = form::validate(fields, &data, Completeness::Draft);
    let complete = form::validate(fields, &data, Completeness::Complete);
    // Submitted is the stricter check: what it lets through, a draft lets through too.
    if complete.is_ok() {
        assert!(draft.is_ok(), "submitted data that a draft refuses");
    }
    draft.ok()
}

/// Every condition of the procedure, over data that passed.
fn decide(procedure: &Procedure, data: &Data) {
    let rows = BTreeMap::new();
    let facts = Facts {
        data,
        done: &[],
        rows: &rows,
        today: "2026-04-01",
        now: None,
        organisations: None,
    };
    for t in &procedure.transitions {
        let conditions = t
            .when
            .iter()
            .chain(t.to.iter().filter_map(|b| b.when.as_ref()));
        for c in conditions {
            let _ = condition::holds(&c.value, &facts);
        }
    }
}

/// Every form and action of the shipped libraries, with the data `read` makes for it.
fn every_form(read: impl Fn(&[Field]) -> Data) {
    for lib in libraries() {
        for procedure in lib.procedures.values() {
            let form = lib.form_of(procedure);
            if let Some(data) = check(&form.fields, read(&form.fields)) {
                decide(procedure, &data);
            }
            for t in &procedure.transitions {
                check(&t.fields, read(&t.fields));
            }
        }
    }
}

fuzz_target!(|body: &[u8]| {
    if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) {
        every_form(|fields| form::from_pairs(fields, &pairs));
    }
    if let Ok(data) = serde_json::from_slice::<Data>(body) {
        every_form(|_| data.clone());
    }
});
