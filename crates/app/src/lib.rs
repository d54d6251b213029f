//! mamori's use cases. Each command is one transaction that authorises the actor through
//! [`mamori_domain::policy`], makes the change, and appends its audit event, so that a
//! change and its evidence commit together or not at all.

mod adaptations;
mod api_tokens;
mod appointments;
mod assessments;
mod attachments;
mod audit_anchors;
pub mod audit_sentences;
mod audit_trail;
mod calls;
mod case_page;
mod case_retention;
mod cases;
mod deadlines;
mod delegations;
mod documents;
mod edge;
mod error;
mod evidence;
mod exports;
mod first_admin;
pub mod history;
mod libraries;
mod login;
mod mail;
mod matrices;
mod observed;
mod oidc;
mod organisations;
mod passkeys;
mod people;
mod people_import;
mod plan;
mod prefill;
pub mod read;
mod register_documents;
mod registers;
mod report_board;
mod rollup;
mod rounds;
mod routing;
mod row_lifecycle;
mod row_roles;
pub mod rulebooks;
mod schedules;
mod secrets;
mod session;
pub mod setup_guide;
mod waiting;

pub use adaptations::{AdaptationView, adapt_installation, adapt_library, adapted_version};
pub use api_tokens::{
    ApiTokenInput, DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, NewToken, TokenRefusal, scopes_of,
};
pub use assessments::{AnswerInput, AssessmentView, Finding, RequirementView, StartAssessment};
pub use attachments::{Download, Upload, UploadTurn};
pub use audit_anchors::{
    AnchorStatus, Anchoring, PUBLIC_KEY_FILE as ANCHOR_PUBLIC_KEY_FILE, judge_anchor, mail_anchor,
    read_anchors, write_anchor,
};
pub use audit_trail::AuditQuery;
pub use calls::{CallPlan, PrimeDesk};
pub use case_page::CasePage;
pub use cases::{
    ActInput, ActionView, CaseView, Due, OpenCase, Startable, emergency_reason, override_reason,
};
pub use delegations::DelegationInput;
pub use documents::RenderedDocument;
pub use edge::EdgeLimits;
pub use error::{AppError, FormProblem};
pub use evidence::EvidenceInput;
pub use first_admin::{CreatedAdmin, FirstAdmin};
pub use libraries::Libraries;
pub use login::{ClientInfo, LoginMode, LoginOutcome};
pub use mail::{MailRun, Mailer};
pub use matrices::{
    CorrectInput, Correction, MatrixFilter, MatrixRowPage, MatrixRowView, MatrixView,
};
pub use observed::Observed;
pub use oidc::{
    OidcCallback, OidcMatch, OidcOptions, OidcRedirect, OidcRefusal, OidcSettings, OidcSignedIn,
};
pub use organisations::{DeskInput, OrganisationInput, OrganisationView};
pub use passkeys::PasskeyRefusal;
pub use people::{DesignationInput, PersonInput, PersonUpdate};
pub use people_import::{CODE_DAYS, ImportedPerson, PeopleImport};
pub use plan::Tally;
pub use registers::{
    ImportReport, MAX_ROWS_PER_PAGE, ROWS_PER_PAGE, RegisterView, RowQuery, RowView,
};
pub use report_board::{ReportGroup, ReportLine};
pub use rollup::{Done, RolledCatalog, RolledRound, Rollup, RollupLine, Score};
pub use rounds::{Board, BoardLine, BoardQuery, Obligation, Standing, Tally as RoundTally};
pub use row_lifecycle::RowDateView;
pub use row_roles::RowRoleInput;
pub use schedules::{CaseSchedule, StepView};
pub use secrets::SecretView;
pub use session::{Caller, SessionInfo};
pub use waiting::Waiting;

use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use mamori_auth::password::{Cost, Hasher};
use mamori_auth::sealed::Sealer;
use mamori_domain::audit::Outcome;
use mamori_storage::audit::NewEvent;
use mamori_storage::{Day, Db, Ts, Tx};
use tokio::sync::Semaphore;
use uuid::Uuid;

/// Where "now" comes from; tests substitute a fixed or stepping clock.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(Timestamp::now)
}

/// Security settings an installation may tune.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Failed logins in a row that lock an account.
    pub lockout_threshold: i64,
    /// How long a lock lasts.
    pub lockout_minutes: i64,
    /// A session unused this long ends.
    pub session_idle_minutes: i64,
    /// A session ends this long after login whatever happens.
    pub session_max_hours: i64,
    /// Argon2id cost.
    pub password_cost: Cost,
    /// The zone that "today" is counted in (designations start and end on days).
    pub zone: TimeZone,
    /// Seals second-factor secrets at rest. The default is a random key, which is only
    /// right for tests: `mamori serve` loads a lasting one.
    pub sealer: Sealer,
    /// Whether notifications are also sent by e-mail (an SMTP server is configured): each
    /// notice then writes an e-mail to the outbox with its in-app copy.
    pub email: bool,
    /// The largest file that may be attached to a case, in bytes.
    pub attachment_max_bytes: usize,
    /// Uploads (attachments, evidence, register imports) received and handled at once:
    /// each holds its file in memory, and an import unpacks a workbook besides.
    pub uploads_at_once: usize,
    /// How long an upload waits for its turn before it is told to try again.
    pub upload_wait: std::time::Duration,
    /// Connection timeouts and limits on clients that keep failing.
    pub edge: EdgeLimits,
    /// Sign-in with the office's directory (OpenID Connect), when configured.
    pub oidc: Option<OidcSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lockout_threshold: 10,
            lockout_minutes: 15,
            session_idle_minutes: 60,
            session_max_hours: 12,
            password_cost: Cost::RECOMMENDED,
            zone: TimeZone::get("Asia/Tokyo").unwrap_or(TimeZone::UTC),
            sealer: Sealer::random(),
            email: false,
            attachment_max_bytes: 20 * 1024 * 1024,
            // Four 20 MB files with their copies (sealed, unpacked) stay near 200 MB; eight
            // at once were measured at more, for no gain on a small server.
            uploads_at_once: 4,
            upload_wait: std::time::Duration::from_secs(10),
            edge: EdgeLimits::default(),
            oidc: None,
        }
    }
}

/// The application: database, clock, settings, and the password hasher.
#[derive(Clone)]
pub struct App {
    db: Db,
    clock: Clock,
    settings: Arc<Settings>,
    hasher: Arc<Hasher>,
    /// Argon2 is deliberately slow; at most one hash per core runs at once, so a flood of
    /// logins queues instead of starving every other request.
    hash_slots: Arc<Semaphore>,
    /// Turns for uploads ([`Settings::uploads_at_once`]).
    upload_slots: Arc<Semaphore>,
    /// The procedure libraries in use (empty until [`App::install_libraries`]).
    libraries: Arc<Libraries>,
    /// Refused requests counted but not yet written, per address.
    refusals: Arc<edge::Refusals>,
}

impl App {
    /// Builds the application over an open database.
    pub fn new(db: Db, clock: Clock, settings: Settings) -> Result<Self, AppError> {
        let hasher =
            Hasher::new(settings.password_cost).map_err(|e| AppError::Internal(e.to_string()))?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            db,
            clock,
            upload_slots: Arc::new(Semaphore::new(settings.uploads_at_once.max(1))),
            settings: Arc::new(settings),
            hasher: Arc::new(hasher),
            hash_slots: Arc::new(Semaphore::new(cores)),
            libraries: Arc::new(Libraries::default()),
            refusals: Arc::new(edge::Refusals::default()),
        })
    }

    /// Whether the database answers (the health check).
    pub async fn ping(&self) -> Result<(), AppError> {
        Ok(self.db.ping().await?)
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Now, by the application's clock.
    pub fn now(&self) -> Ts {
        // Microseconds are what both databases keep; truncating here makes the audit hash
        // of an event identical before and after a round trip through storage.
        let t = (self.clock)();
        Ts(Timestamp::from_microsecond(t.as_microsecond()).unwrap_or(t))
    }

    /// The present moment in the installation's zone, for rules that read the clock.
    pub fn local_now(&self) -> jiff::Zoned {
        (self.clock)().to_zoned(self.settings.zone.clone())
    }

    /// Today in the installation's zone.
    pub fn today(&self) -> Day {
        Day((self.clock)().to_zoned(self.settings.zone.clone()).date())
    }

    async fn hash_password(&self, password: String) -> Result<String, AppError> {
        let slot = self
            .hash_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let hasher = self.hasher.clone();
        tokio::task::spawn_blocking(move || {
            // Held until the hash ends, even if the request is gone: the slot bounds the
            // hashes running, and so the memory they work in.
            let _slot = slot;
            hasher.hash(&password)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Seals a second-factor secret for a person.
    fn seal(&self, secret: &str, person: Uuid) -> String {
        self.settings.sealer.seal(secret, person.as_bytes())
    }

    /// Opens a person's sealed secret; `None` (and an error in the log) if it cannot be,
    /// which happens when the key was changed: an administrator then resets the factor.
    fn unseal(&self, sealed: &str, person: Uuid) -> Option<String> {
        let opened = self.settings.sealer.open(sealed, person.as_bytes());
        if opened.is_none() {
            tracing::error!(person.id = %person, "a second-factor secret does not open with the configured key");
        }
        opened
    }

    async fn verify_password(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, AppError> {
        let slot = self
            .hash_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let hasher = self.hasher.clone();
        let now = self.now().0.as_second();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            verify_with(&hasher, &password, hash, now)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
    }
}

/// Checks a password or a sign-in code against what is stored (see [`App::verify_password`]).
fn verify_with(hasher: &Hasher, password: &str, hash: Option<String>, now: i64) -> bool {
    match hash {
        Some(h) => match mamori_auth::enrolment::parse(&h) {
            // A sign-in code needs no slow hash, but spends one anyway: a first sign-in
            // must take as long as any other.
            Some(code) => {
                hasher.verify_dummy(password);
                now < code.expires_unix && code.matches(password)
            }
            None => hasher.verify(password, &h),
        },
        None => {
            hasher.verify_dummy(password);
            false
        }
    }
}

/// One audit event, before the storage layer numbers and chains it.
pub(crate) struct Event<'a> {
    pub action: &'a str,
    pub organisation: Option<Uuid>,
    pub target_kind: &'a str,
    pub target_id: Option<String>,
    pub outcome: Outcome,
    pub detail: serde_json::Value,
}

impl App {
    /// The organisations where the caller holds one of `roles`, with their names, each
    /// once: where they may start a procedure, answer a catalog or keep a register.
    pub(crate) async fn held_in<'r>(
        &self,
        caller: &Caller,
        roles: impl Iterator<Item = &'r str> + Clone,
    ) -> Result<Vec<(Uuid, String)>, AppError> {
        let mut out: Vec<(Uuid, String)> = Vec::new();
        for grant in &caller.actor.grants {
            if !roles.clone().any(|r| r == grant.role) {
                continue;
            }
            if let Some(org) = grant.organisation
                && !out.iter().any(|(o, _)| *o == org)
            {
                let name = mamori_storage::organisations::get(&self.db, org)
                    .await?
                    .name;
                out.push((org, name));
            }
        }
        Ok(out)
    }

    pub(crate) async fn record_done(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        action: &str,
        organisation: Uuid,
        target: (&str, String),
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        self.record(
            tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action,
                organisation: Some(organisation),
                target_kind: target.0,
                target_id: Some(target.1),
                outcome: Outcome::Success,
                detail,
            },
        )
        .await?;
        Ok(())
    }

    /// Appends an event inside `tx`.
    pub(crate) async fn record(
        &self,
        tx: &mut Tx,
        actor: Option<Uuid>,
        ip: Option<&str>,
        e: Event<'_>,
    ) -> Result<i64, AppError> {
        let seq = mamori_storage::audit::append(
            tx,
            NewEvent {
                occurred_at: self.now(),
                actor,
                organisation: e.organisation,
                action: e.action.to_owned(),
                target_kind: e.target_kind.to_owned(),
                target_id: e.target_id,
                outcome: e.outcome.as_str(),
                detail: e.detail.to_string(),
                ip: ip.map(str::to_owned),
            },
        )
        .await?;
        Ok(seq)
    }

    /// Records a refused access in its own transaction and returns the refusal.
    pub(crate) async fn deny<T>(
        &self,
        caller: &Caller,
        action: &str,
        organisation: Option<Uuid>,
        target_kind: &str,
        target_id: Option<String>,
    ) -> Result<T, AppError> {
        tracing::warn!(actor.id = %caller.actor.person, action, target.kind = target_kind, "access denied");
        let mut tx = self.db.begin().await?;
        self.record(
            &mut tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action,
                organisation,
                target_kind,
                target_id,
                outcome: Outcome::Denied,
                detail: serde_json::json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Err(AppError::Forbidden)
    }

    /// [`App::deny`], telling the person why: who may do it instead.
    pub(crate) async fn deny_because<T>(
        &self,
        caller: &Caller,
        action: &str,
        organisation: Option<Uuid>,
        target: (&str, String),
        reason: mamori_library::Text,
    ) -> Result<T, AppError> {
        match self
            .deny(caller, action, organisation, target.0, Some(target.1))
            .await
        {
            Err(AppError::Forbidden) => Err(AppError::Refused(reason)),
            other => other,
        }
    }
}
