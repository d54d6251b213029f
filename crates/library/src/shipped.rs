//! The libraries that ship inside the `mamori` binary (the `libraries/` folder).

use rust_embed::RustEmbed;

use crate::load::{Problem, Source, load_sources};
use crate::model::Library;

#[derive(RustEmbed)]
#[folder = "../../libraries"]
struct Files;

/// The files of every shipped library by folder, to load as they are or adapted.
pub fn shipped_sources() -> std::collections::BTreeMap<String, Vec<Source>> {
    let mut by_library: std::collections::BTreeMap<String, Vec<Source>> = Default::default();
    for path in Files::iter() {
        if !path.ends_with(".yaml") {
            continue;
        }
        let Some((library, inner)) = path.split_once('/') else {
            continue;
        };
        let Some(file) = Files::get(&path) else {
            continue;
        };
        let content = String::from_utf8_lossy(&file.data).into_owned();
        by_library
            .entry(library.to_owned())
            .or_default()
            .push(Source {
                path: inner.to_owned(),
                content,
            });
    }
    by_library
}

/// Every shipped library, loaded and checked. A problem here is a defect of this build,
/// caught by the test suite before it ships.
pub fn shipped() -> Result<Vec<Library>, Vec<Problem>> {
    let by_library = shipped_sources();
    let mut libraries = Vec::new();
    let mut problems = Vec::new();
    for (folder, sources) in by_library {
        match load_sources(sources) {
            Ok(lib) if lib.id() == folder => libraries.push(lib),
            Ok(lib) => problems.push(Problem {
                file: format!("{folder}/library.yaml"),
                line: 0,
                column: 0,
                message: format!(
                    "id「{}」がフォルダ名と違います (the id must be the folder's name)",
                    lib.id()
                ),
            }),
            Err(p) => problems.extend(p.into_iter().map(|mut p| {
                p.file = format!("{folder}/{}", p.file);
                p
            })),
        }
    }
    if problems.is_empty() {
        Ok(libraries)
    } else {
        Err(problems)
    }
}
