//! Evidence (証跡): files an organisation keeps to show a requirement is met, each good
//! from a day and perhaps until one, sealed at rest like attachments, and linked to the
//! requirements of any of the organisation's assessments while it is in force — so one
//! audit report serves every assessment of its year.

use mamori_domain::FieldErrors;
use mamori_domain::attachment;
use mamori_domain::policy::{self, OrgFacts, Permission};
use mamori_storage::Day;
use mamori_storage::evidence::{self, EvidenceRow, NewEvidence};
use mamori_storage::organisations as orgs;
use serde_json::json;
use uuid::Uuid;

use crate::cases::acting_org;
use crate::{App, AppError, Caller, Download, Upload};

/// New evidence as given.
#[derive(Debug, Clone)]
pub struct EvidenceInput {
    /// What it is (令和8年度 監査結果通知書).
    pub title: String,
    /// From when it holds, `YYYY-MM-DD`.
    pub effective_on: String,
    /// Until when (inclusive), `YYYY-MM-DD`, or "" if it does not expire.
    pub expires_on: String,
    /// The file.
    pub file: Upload,
}

impl App {
    /// Whether the caller answers some catalog for the organisation: who may add its
    /// evidence.
    async fn answers_for(&self, caller: &Caller, organisation: Uuid) -> Result<bool, AppError> {
        let facts = self.case_facts(&self.db, organisation).await?;
        Ok(self
            .libraries
            .current()
            .flat_map(|l| l.catalogs.values())
            .any(|c| acting_org(caller, &c.by, &facts).is_some()))
    }

    /// Adds evidence to an organisation, for whoever answers its assessments.
    pub async fn add_evidence(
        &self,
        caller: &Caller,
        organisation: Uuid,
        input: EvidenceInput,
    ) -> Result<Uuid, AppError> {
        if !self.answers_for(caller, organisation).await? {
            return self
                .deny(
                    caller,
                    "evidence.add",
                    Some(organisation),
                    "organisation",
                    Some(organisation.to_string()),
                )
                .await;
        }
        let mut errors = FieldErrors::default();
        let title = input.title.trim();
        if title.is_empty() {
            errors.push("title", "required");
        } else if title.chars().count() > 200 {
            errors.push_limit("title", "too-long", 200);
        }
        let effective_on = input.effective_on.trim().parse::<jiff::civil::Date>();
        if effective_on.is_err() {
            errors.push("effective_on", "invalid-date");
        }
        let expires_on = match input.expires_on.trim() {
            "" => None,
            s => match s.parse::<jiff::civil::Date>() {
                Ok(d) if effective_on.as_ref().is_ok_and(|e| d < *e) => {
                    errors.push("expires_on", "end-before-start");
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push("expires_on", "invalid-date");
                    None
                }
            },
        };
        let name = attachment::clean_file_name(&input.file.file_name);
        let kind = name.as_ref().ok().map(|n| {
            attachment::classify(n, &input.file.content, self.settings.attachment_max_bytes)
        });
        match (&name, &kind) {
            (Err(r), _) | (_, Some(Err(r))) => self.file_refused(&mut errors, *r),
            _ => {}
        }
        let (Ok(name), Some(Ok(kind)), Ok(effective_on)) = (name, kind, effective_on) else {
            return Err(AppError::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let id = Uuid::now_v7();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (address, size) = self.store_sealed(&mut tx, &input.file.content).await?;
        evidence::insert(
            &mut tx,
            &NewEvidence {
                id,
                organisation,
                title,
                address: &address,
                file_name: &name,
                media_type: kind.media_type(),
                size,
                effective_on: Day(effective_on),
                expires_on: expires_on.map(Day),
                by: caller.actor.person,
                now,
            },
        )
        .await?;
        self.record_done(
            &mut tx,
            caller,
            "evidence.add",
            organisation,
            ("evidence", id.to_string()),
            json!({ "title": title, "file_name": name, "size": size, "effective_on": effective_on.to_string(), "expires_on": expires_on.map(|d| d.to_string()) }),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Whether the caller may read an organisation's evidence: whoever reads its cases, or
    /// answers its assessments.
    async fn may_read_evidence(
        &self,
        caller: &Caller,
        organisation: Uuid,
    ) -> Result<bool, AppError> {
        let ancestors = orgs::ancestors(&self.db, organisation).await?;
        if ancestors.is_empty() {
            return Err(AppError::NotFound);
        }
        let facts = OrgFacts {
            ancestors,
            related: vec![],
        };
        Ok(policy::allows(&caller.actor, Permission::ViewCases, &facts)
            || self.answers_for(caller, organisation).await?)
    }

    /// The evidence an organisation keeps, newest first.
    pub async fn evidence(
        &self,
        caller: &Caller,
        organisation: Uuid,
    ) -> Result<Vec<EvidenceRow>, AppError> {
        if !self.may_read_evidence(caller, organisation).await? {
            return self
                .deny(
                    caller,
                    "evidence.read",
                    Some(organisation),
                    "organisation",
                    Some(organisation.to_string()),
                )
                .await;
        }
        Ok(evidence::of_organisation(&self.db, organisation).await?)
    }

    /// A piece of evidence's file; every download is recorded.
    pub async fn evidence_file(&self, caller: &Caller, id: Uuid) -> Result<Download, AppError> {
        let row = evidence::get(&self.db, id).await?;
        if !self.may_read_evidence(caller, row.organisation_id).await? {
            return self
                .deny(
                    caller,
                    "evidence.download",
                    Some(row.organisation_id),
                    "evidence",
                    Some(id.to_string()),
                )
                .await;
        }
        let content = self.open_stored(&row.file_address).await?;
        let mut tx = self.db.begin().await?;
        self.record_done(
            &mut tx,
            caller,
            "evidence.download",
            row.organisation_id,
            ("evidence", id.to_string()),
            json!({ "file_name": row.file_name }),
        )
        .await?;
        tx.commit().await?;
        Ok(Download {
            file_name: row.file_name,
            media_type: row.media_type,
            content,
        })
    }

    /// Links the organisation's evidence, in force today, to a requirement asked in one of
    /// its open assessments.
    pub async fn link_evidence(
        &self,
        caller: &Caller,
        assessment: Uuid,
        requirement: &str,
        evidence_id: Uuid,
    ) -> Result<(), AppError> {
        let (row, library, answers_it) = self.assessment_for(caller, assessment).await?;
        if !answers_it || row.state != "open" {
            return self
                .deny(
                    caller,
                    "assessment.evidence",
                    Some(row.organisation_id),
                    "assessment",
                    Some(assessment.to_string()),
                )
                .await;
        }
        let mut errors = FieldErrors::default();
        let asked = library.catalogs[&row.catalog_id]
            .requirement(requirement)
            .is_some_and(|r| r.question() != mamori_library::catalog::Question::None);
        if !asked {
            errors.push("requirement", "not-found");
        }
        let found = evidence::get(&self.db, evidence_id).await.ok();
        let today = self.today();
        match &found {
            Some(e) if e.organisation_id != row.organisation_id => {
                errors.push("evidence", "not-found");
            }
            None => errors.push("evidence", "not-found"),
            Some(e) if !e.in_force(today) => errors.push("evidence", "evidence-not-in-force"),
            Some(_) => {}
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut tx = self.db.begin().await?;
        evidence::link(
            &mut tx,
            assessment,
            requirement,
            evidence_id,
            caller.actor.person,
            self.now(),
        )
        .await?;
        self.record_done(
            &mut tx,
            caller,
            "assessment.evidence",
            row.organisation_id,
            ("assessment", assessment.to_string()),
            json!({ "requirement": requirement, "evidence": evidence_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
