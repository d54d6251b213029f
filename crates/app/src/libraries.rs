//! The procedure libraries an installation runs: the versions shipped with this build, and
//! every older version that a case still refers to.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use mamori_library::{Library, Source, load_sources};
use mamori_storage::libraries::{self, LibraryVersionRow};

use crate::{App, AppError};

/// Loaded libraries by id and version.
#[derive(Debug, Default)]
pub struct Libraries {
    versions: BTreeMap<(String, String), Arc<Library>>,
    /// The version new cases open under, by library id.
    current: BTreeMap<String, String>,
    /// Versions built from organisations' form variants, or read from the database, since
    /// the server started: another server may have stored them.
    later: RwLock<BTreeMap<(String, String), Arc<Library>>>,
}

impl Libraries {
    /// The versions new cases open under.
    pub fn current(&self) -> impl Iterator<Item = &Arc<Library>> {
        self.current
            .iter()
            .filter_map(|(id, v)| self.versions.get(&(id.clone(), v.clone())))
    }

    /// The version new cases of a library open under.
    pub fn latest(&self, id: &str) -> Option<&Arc<Library>> {
        let version = self.current.get(id)?;
        self.versions.get(&(id.to_owned(), version.clone()))
    }

    /// A version a case was opened under, if this server has it loaded.
    pub fn version(&self, id: &str, version: &str) -> Option<Arc<Library>> {
        let key = (id.to_owned(), version.to_owned());
        if let Some(lib) = self.versions.get(&key) {
            return Some(lib.clone());
        }
        self.later
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
    }

    /// Keeps a version loaded after start.
    pub(crate) fn keep(&self, lib: Library) -> Arc<Library> {
        let lib = Arc::new(lib);
        self.later
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((lib.id().to_owned(), lib.version().to_owned()), lib.clone());
        lib
    }

    /// A procedure new cases can open, named `library/procedure` or by an id that only
    /// one library has: its library's current version and the procedure's id.
    pub fn procedure(&self, name: &str) -> Option<(Arc<Library>, String)> {
        let (lib, id) = match name.split_once('/') {
            Some((lib, id)) => (self.latest(lib)?.clone(), id),
            None => {
                let mut found = self.current().filter(|l| l.procedures.contains_key(name));
                match (found.next(), found.next()) {
                    (Some(lib), None) => (lib.clone(), name),
                    _ => return None,
                }
            }
        };
        lib.procedures
            .contains_key(id)
            .then(|| (lib, id.to_owned()))
    }

    /// The current library that declares a register.
    pub fn register(&self, id: &str) -> Option<&Arc<Library>> {
        self.current().find(|l| l.registers.contains_key(id))
    }

    /// Whether a current library declares the role (so it can be designated).
    pub fn has_role(&self, role: &str) -> bool {
        self.current().any(|l| l.role(role).is_some())
    }

    /// The most holders a library role may have at once in one organisation, if it says.
    pub fn role_cap(&self, role: &str) -> Option<u32> {
        self.current()
            .find_map(|l| l.role(role))
            .and_then(|r| r.at_most.as_ref())
            .map(|n| n.value)
    }

    /// Whether a holder of a library role may delegate it for a period.
    pub fn delegable(&self, role: &str) -> bool {
        self.current()
            .find_map(|l| l.role(role))
            .is_some_and(|r| r.delegable)
    }

    /// Every role of the current libraries: (library, role id, names).
    pub fn roles(&self) -> Vec<(&Library, &mamori_library::model::Role)> {
        self.current()
            .flat_map(|l| l.manifest.roles.iter().map(move |r| (l.as_ref(), r)))
            .collect()
    }
}

impl App {
    /// Stores the shipped libraries' versions (refusing a changed copy of a stored version)
    /// and loads them with every stored version, so that old cases keep their definitions.
    pub async fn install_libraries(mut self, shipped: Vec<Library>) -> Result<Self, AppError> {
        // A PDF template that does not compile would fail only when someone asks for the
        // document; refuse the library now instead, saying where.
        distinct_registers(&shipped)?;
        for lib in &shipped {
            check_pdf_templates(lib)?;
            for w in &lib.warnings {
                tracing::warn!(library = %lib.id(), warning = %w, "library check");
            }
        }
        let mut tx = self.db.begin().await?;
        for lib in &shipped {
            let files = serde_json::to_string(&lib.sources)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            libraries::ensure(
                &mut tx,
                &LibraryVersionRow {
                    library_id: lib.id().to_owned(),
                    version: lib.version().to_owned(),
                    digest: lib.digest.clone(),
                    files,
                },
                self.now(),
            )
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        }
        tx.commit().await?;

        let mut libraries = Libraries::default();
        for row in libraries::all(&self.db).await? {
            // A stored version was valid when it was stored; if this build's checker finds
            // fault with it, its cases can still be read through the shipped version only.
            match stored_library(&row)? {
                Ok(lib) => {
                    libraries
                        .versions
                        .insert((row.library_id, row.version), Arc::new(lib));
                }
                Err(problems) => tracing::error!(
                    library = %row.library_id,
                    version = %row.version,
                    problems = problems.len(),
                    "a stored library version no longer loads"
                ),
            }
        }
        for lib in shipped {
            libraries
                .current
                .insert(lib.id().to_owned(), lib.version().to_owned());
            libraries.versions.insert(
                (lib.id().to_owned(), lib.version().to_owned()),
                Arc::new(lib),
            );
        }
        self.libraries = Arc::new(libraries);
        Ok(self)
    }

    /// The libraries in use.
    pub fn libraries(&self) -> &Libraries {
        &self.libraries
    }
}

/// Loads a stored version from its files.
pub(crate) fn stored_library(
    row: &LibraryVersionRow,
) -> Result<Result<Library, Vec<mamori_library::Problem>>, AppError> {
    let files: Vec<(String, String)> = serde_json::from_str(&row.files)
        .map_err(|e| AppError::Internal(format!("stored library {}: {e}", row.library_id)))?;
    let sources = files
        .into_iter()
        .map(|(path, content)| Source { path, content })
        .collect();
    Ok(load_sources(sources).map(|mut lib| {
        // A version built from a form variant is named by mamori, not by its library.yaml.
        lib.manifest.version.value = row.version.clone();
        lib
    }))
}

/// A register is found by its id alone (`/registers/{id}`), so two libraries declaring the
/// same one would leave one of them unreachable: refused before anything is stored.
fn distinct_registers(libraries: &[Library]) -> Result<(), AppError> {
    let mut owners: BTreeMap<&str, &str> = BTreeMap::new();
    for lib in libraries {
        for id in lib.registers.keys() {
            if let Some(other) = owners.insert(id, lib.id())
                && other != lib.id()
            {
                return Err(AppError::Internal(format!(
                    "register {id} is declared by both {other} and {}",
                    lib.id()
                )));
            }
        }
    }
    Ok(())
}

/// Compiles every PDF template of `lib` against a sample case (or, for a register's
/// documents, a sample of its rows).
fn check_pdf_templates(lib: &Library) -> Result<(), AppError> {
    for register in lib.registers.values() {
        let sample =
            mamori_library::document::sample_register_context(&register.columns).to_string();
        for (doc, template) in register
            .documents
            .iter()
            .filter(|d| d.format == mamori_library::model::DocumentFormat::Pdf)
            .filter_map(|d| Some((d, d.template.as_ref()?)))
        {
            mamori_documents::check_case_template(&template.value, &sample).map_err(
                |(line, reason)| {
                    AppError::Internal(format!(
                        "library {} {}: PDF document {} of register {} line {line}: {reason}",
                        lib.id(),
                        lib.version(),
                        doc.id.value,
                        register.id.value
                    ))
                },
            )?;
        }
    }
    for procedure in lib.procedures.values() {
        let form = &lib.form_of(procedure).fields;
        let more: Vec<_> = procedure
            .transitions
            .iter()
            .flat_map(|t| t.fields.iter())
            .collect();
        for (doc, template) in procedure
            .documents
            .iter()
            .filter(|d| d.format == mamori_library::model::DocumentFormat::Pdf)
            .filter_map(|d| Some((d, d.template.as_ref()?)))
        {
            let sample = mamori_library::document::sample_context(form, &more).to_string();
            mamori_documents::check_case_template(&template.value, &sample).map_err(
                |(line, reason)| {
                    AppError::Internal(format!(
                        "library {} {}: PDF document {} line {line}: {reason}",
                        lib.id(),
                        lib.version(),
                        doc.id.value
                    ))
                },
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_libraries_declaring_one_register_are_refused() {
        let shipped = mamori_library::shipped().expect("the shipped libraries load");
        assert!(
            distinct_registers(&shipped).is_ok(),
            "the shipped ones do not clash"
        );
        let mut copy = shipped
            .iter()
            .find(|l| l.id() == "mod-system-ops")
            .unwrap()
            .clone();
        copy.manifest.id.value = "mod-system-ops-copy".into();
        let mut both = shipped;
        both.push(copy);
        let refused = distinct_registers(&both).unwrap_err().to_string();
        assert!(refused.contains("declared by both"), "{refused}");
    }
}
