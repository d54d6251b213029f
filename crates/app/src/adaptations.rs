//! Organisations' own variants of library forms (様式の適宜修正).
//!
//! A variant is the text of an `adaptation.yaml`, kept per organisation and library. The
//! library version built from it — the shipped files plus that one — is stored like any
//! other version, so a case opened under it keeps it whatever the organisation changes
//! later, and a server that has not built it yet reads it back from the database. An
//! organisation without a variant of its own uses the nearest one above it.

use std::sync::Arc;

use mamori_domain::audit::Outcome;
use mamori_domain::policy::{self, Permission};
use mamori_library::adapt::{ADAPTATION_FILE, INSTALLATION_FILE};
use mamori_library::{Library, Problem, Source, load_sources};
use mamori_storage::adaptations::{self, AdaptationRow};
use mamori_storage::libraries::{self, LibraryVersionRow};
use mamori_storage::organisations as orgs;
use mamori_storage::{Src, Tx};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{App, AppError, Caller, Event};

/// An organisation's variant of a library, as its administrators see it.
#[derive(Debug, Clone)]
pub struct AdaptationView {
    /// The library's current shipped version.
    pub library: Arc<Library>,
    /// The variant's text, if the organisation keeps one.
    pub own: Option<AdaptationRow>,
    /// The library its new cases open under: the shipped one, or one built from its own
    /// variant or from the nearest one above it.
    pub in_effect: Arc<Library>,
    /// Whether the caller may change the variant.
    pub may_edit: bool,
}

/// The name of the version built from `spec` on `base` for `organisation`: the shipped
/// version, then a part that tells organisations and texts apart.
pub fn adapted_version(base: &Library, organisation: Uuid, spec: &str) -> String {
    let mut h = Sha256::new();
    h.update(base.digest.as_bytes());
    h.update(organisation.as_bytes());
    h.update(spec.as_bytes());
    let digest: String = h.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // The tail of a v7 id is its random part: the head is a time shared by neighbours.
    let org = organisation.simple().to_string();
    format!("{}+{}.{digest}", base.version(), &org[org.len() - 6..])
}

/// Builds the library version `spec` makes of `base`, or says what is wrong with `spec`.
pub fn adapt_library(
    base: &Library,
    organisation: Uuid,
    spec: &str,
) -> Result<Library, Vec<Problem>> {
    let mut sources: Vec<Source> = base
        .sources
        .iter()
        .filter(|(path, _)| path != ADAPTATION_FILE)
        .map(|(path, content)| Source {
            path: path.clone(),
            content: content.clone(),
        })
        .collect();
    sources.push(Source {
        path: ADAPTATION_FILE.into(),
        content: spec.to_owned(),
    });
    let mut lib = load_sources(sources)?;
    lib.manifest.version.value = adapted_version(base, organisation, spec);
    Ok(lib)
}

/// Builds the library version the installation's own figures (`installation.yaml`:
/// deadlines and schedules) make of `base`, or says what is wrong with them. Every case
/// opens under it; an organisation's variant builds on it.
pub fn adapt_installation(base: &Library, spec: &str) -> Result<Library, Vec<Problem>> {
    let mut sources: Vec<Source> = base
        .sources
        .iter()
        .filter(|(path, _)| path != INSTALLATION_FILE)
        .map(|(path, content)| Source {
            path: path.clone(),
            content: content.clone(),
        })
        .collect();
    sources.push(Source {
        path: INSTALLATION_FILE.into(),
        content: spec.to_owned(),
    });
    let mut lib = load_sources(sources)?;
    let mut h = Sha256::new();
    h.update(base.digest.as_bytes());
    h.update(spec.as_bytes());
    let digest: String = h.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    lib.manifest.version.value = format!("{}+installation.{digest}", base.version());
    Ok(lib)
}

impl App {
    /// The version of `base` that cases of an organisation open under: built from the
    /// nearest variant among `ancestors` (the organisation first), stored if it is new.
    pub(crate) async fn library_for(
        &self,
        tx: &mut Tx,
        base: &Arc<Library>,
        ancestors: &[Uuid],
    ) -> Result<Arc<Library>, AppError> {
        let found = adaptations::among(&mut *tx, ancestors, base.id()).await?;
        let Some(row) = ancestors
            .iter()
            .find_map(|a| found.iter().find(|r| r.organisation_id == *a))
        else {
            return Ok(base.clone());
        };
        let version = adapted_version(base, row.organisation_id, &row.spec);
        if let Some(lib) = self.libraries.version(base.id(), &version) {
            return Ok(lib);
        }
        match adapt_library(base, row.organisation_id, &row.spec) {
            Ok(lib) => {
                self.store_version(tx, &lib).await?;
                Ok(self.libraries.keep(lib))
            }
            // The variant was valid for the version it was written against; a new shipped
            // version it no longer fits must not stop the organisation's work.
            Err(problems) => {
                tracing::error!(
                    library = %base.id(),
                    organisation = %row.organisation_id,
                    problems = problems.len(),
                    "a form variant does not fit the shipped library; its cases use the shipped form"
                );
                Ok(base.clone())
            }
        }
    }

    /// A version a case refers to: loaded, or read back from the database (another server
    /// may have built it from a variant).
    pub(crate) async fn stored_version<'a>(
        &self,
        src: impl Into<Src<'a>>,
        id: &str,
        version: &str,
    ) -> Result<Arc<Library>, AppError> {
        if let Some(lib) = self.libraries.version(id, version) {
            return Ok(lib);
        }
        let row = libraries::get(src, id, version)
            .await
            .map_err(|_| AppError::Internal(format!("library {id} {version} is not stored")))?;
        match crate::libraries::stored_library(&row)? {
            Ok(lib) => Ok(self.libraries.keep(lib)),
            Err(problems) => Err(AppError::Internal(format!(
                "stored library {id} {version} no longer loads ({} problems)",
                problems.len()
            ))),
        }
    }

    async fn store_version(&self, tx: &mut Tx, lib: &Library) -> Result<(), AppError> {
        let files =
            serde_json::to_string(&lib.sources).map_err(|e| AppError::Internal(e.to_string()))?;
        libraries::ensure(
            tx,
            &LibraryVersionRow {
                library_id: lib.id().to_owned(),
                version: lib.version().to_owned(),
                digest: lib.digest.clone(),
                files,
            },
            self.now(),
        )
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Begins the transaction of a change to an organisation's variants, once the caller
    /// administers the organisation.
    async fn adapting(&self, caller: &Caller, organisation: Uuid) -> Result<Tx, AppError> {
        let mut tx = self.db.begin().await?;
        let facts = orgs::ancestry(&mut tx, organisation).await?;
        if !policy::allows(&caller.actor, Permission::ManageOrganisation, &facts) {
            drop(tx);
            return self
                .deny(
                    caller,
                    "library.adapt",
                    Some(organisation),
                    "organisation",
                    Some(organisation.to_string()),
                )
                .await;
        }
        Ok(tx)
    }

    /// An organisation's variant of a library, for whoever may see the organisation.
    pub async fn adaptation(
        &self,
        caller: &Caller,
        organisation: Uuid,
        library: &str,
    ) -> Result<AdaptationView, AppError> {
        let base = self
            .libraries
            .latest(library)
            .cloned()
            .ok_or(AppError::NotFound)?;
        let facts = orgs::facts_db(&self.db, organisation).await?;
        if !policy::allows(&caller.actor, Permission::ViewOrganisation, &facts) {
            return self
                .deny(
                    caller,
                    "library.adaptation.read",
                    Some(organisation),
                    "organisation",
                    Some(organisation.to_string()),
                )
                .await;
        }
        let own = adaptations::get(&self.db, organisation, library).await?;
        let mut tx = self.db.begin().await?;
        let in_effect = self.library_for(&mut tx, &base, &facts.ancestors).await?;
        tx.commit().await?;
        Ok(AdaptationView {
            library: base,
            own,
            in_effect,
            may_edit: policy::allows(&caller.actor, Permission::ManageOrganisation, &facts),
        })
    }

    /// Sets an organisation's variant of a library, for its administrators. A variant with
    /// mistakes is refused with each one's line; new cases of the organisation (and of
    /// those below it without their own) then open under it. Returns the version built.
    pub async fn adapt(
        &self,
        caller: &Caller,
        organisation: Uuid,
        library: &str,
        spec: &str,
    ) -> Result<String, AppError> {
        let base = self
            .libraries
            .latest(library)
            .cloned()
            .ok_or(AppError::NotFound)?;
        let mut tx = self.adapting(caller, organisation).await?;
        let lib = adapt_library(&base, organisation, spec).map_err(AppError::LibraryInvalid)?;
        let version = lib.version().to_owned();
        self.store_version(&mut tx, &lib).await?;
        let before = adaptations::get(&mut tx, organisation, library).await?;
        adaptations::put(
            &mut tx,
            organisation,
            library,
            spec,
            caller.actor.person,
            self.now(),
        )
        .await?;
        self.libraries.keep(lib);
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "library.adapt",
                organisation: Some(organisation),
                target_kind: "library",
                target_id: Some(library.to_owned()),
                outcome: Outcome::Success,
                detail: json!({
                    "version": version,
                    "before": before.map(|b| b.spec),
                    "after": spec,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Removes an organisation's variant: its new cases open under the form above it again.
    /// Cases opened under the variant keep it.
    pub async fn remove_adaptation(
        &self,
        caller: &Caller,
        organisation: Uuid,
        library: &str,
    ) -> Result<(), AppError> {
        let mut tx = self.adapting(caller, organisation).await?;
        let before = adaptations::get(&mut tx, organisation, library)
            .await?
            .ok_or(AppError::NotFound)?;
        adaptations::remove(&mut tx, organisation, library).await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action: "library.adaptation.remove",
                organisation: Some(organisation),
                target_kind: "library",
                target_id: Some(library.to_owned()),
                outcome: Outcome::Success,
                detail: json!({ "before": before.spec }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
