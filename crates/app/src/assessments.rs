//! Assessments: a catalog of a library answered for an organisation (自己点検, 監査).
//!
//! Whoever the catalog names (`by`) for the organisation starts and answers it; whoever may
//! read the organisation's cases reads it. Answers are stored with their outcome and weight,
//! so a summary is counted in SQL however large the catalog; the requirements are read a
//! page at a time. Failed answers are the findings.

use std::collections::BTreeMap;
use std::sync::Arc;

use mamori_domain::policy::{self, OrgFacts, Permission};
use mamori_library::catalog::{Catalog, Line, Outcome, Question};
use mamori_library::{Library, Text};
use mamori_storage::assessments::{
    self, AnswerRow, AssessmentRow, NewAnswer, NewAssessment, PartRow, Tally,
};
use mamori_storage::{Page, PageRequest};
use serde_json::json;
use uuid::Uuid;

use crate::cases::acting_org;
use crate::error::FormProblem;
use crate::{App, AppError, Caller};

/// What starts an assessment.
#[derive(Debug, Clone)]
pub struct StartAssessment {
    /// `library/catalog`, or a catalog id only one library has.
    pub catalog: String,
    /// The organisation answering.
    pub organisation: Uuid,
    /// Its title (令和8年度 自己点検, say).
    pub title: String,
    /// The groups asked; empty for all.
    pub groups: Vec<String>,
}

/// One answer as given.
#[derive(Debug, Clone)]
pub struct AnswerInput {
    /// The requirement's id.
    pub requirement: String,
    /// `yes`, `no`, `na` or an option id; empty to take the answer back.
    pub answer: String,
    /// The reason (needed for `na`) or a remark.
    pub note: String,
}

/// A requirement on the page, with its answer.
#[derive(Debug, Clone)]
pub struct RequirementView {
    /// The original's id.
    pub id: String,
    /// How deep it sits in the tree.
    pub depth: usize,
    /// What is required.
    pub text: Text,
    /// Guidance.
    pub help: Option<Text>,
    /// How it is answered.
    pub question: Question,
    /// For a choice: (id, label).
    pub options: Vec<(String, Text)>,
    /// Whether it is asked in this assessment (its group, and earlier answers).
    pub applies: bool,
    /// The answer given, if any.
    pub answer: Option<AnswerRow>,
    /// The evidence linked to it.
    pub evidence: Vec<mamori_storage::evidence::EvidenceRow>,
}

/// An assessment as its reader sees it.
#[derive(Debug, Clone)]
pub struct AssessmentView {
    /// The stored assessment.
    pub row: AssessmentRow,
    /// The library version it answers.
    pub library: Arc<Library>,
    /// The groups asked (empty: all).
    pub groups: Vec<String>,
    /// Answers counted by outcome.
    pub tally: Tally,
    /// Requirements asked (those with a question that apply).
    pub asked: usize,
    /// Of those, not answered yet.
    pub unanswered: usize,
    /// The requirements of the page asked for, in reading order.
    pub page: Vec<RequirementView>,
    /// Requirements in all (headings included), to page through.
    pub total: usize,
    /// Whether the reader may answer now.
    pub may_answer: bool,
    /// For a campaign: its parts, one per organisation, each counted.
    pub parts: Vec<PartRow>,
}

impl AssessmentView {
    /// The catalog answered.
    pub fn catalog(&self) -> &Catalog {
        &self.library.catalogs[&self.row.catalog_id]
    }

    /// The share of the weight answered that passes, in percent, once anything is scored.
    pub fn score(&self) -> Option<u32> {
        score(self.tally.pass_weight, self.tally.scored_weight)
    }
}

/// The share of the weight scored that passed, in percent, once anything is scored.
pub(crate) fn score(pass_weight: i64, scored_weight: i64) -> Option<u32> {
    (scored_weight > 0).then(|| u32::try_from(pass_weight * 100 / scored_weight).unwrap_or(0))
}

/// A catalog someone may start, and where.
#[derive(Debug, Clone)]
pub struct Assessable {
    /// The library (current version).
    pub library: Arc<Library>,
    /// The catalog's id.
    pub catalog: String,
    /// Organisations the caller may assess with it: (id, name).
    pub organisations: Vec<(Uuid, String)>,
    /// Organisations whose sections the caller may assess with it, as a campaign.
    pub campaign_organisations: Vec<(Uuid, String)>,
}

/// A finding: a requirement answered as not met.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The requirement's id.
    pub requirement: String,
    /// What it requires.
    pub text: Text,
    /// The answer and who gave it.
    pub answer: AnswerRow,
}

fn answers_map(values: Vec<(String, String)>) -> BTreeMap<String, String> {
    values.into_iter().collect()
}

/// The requirements asked that have no answer.
fn unanswered<'a>(
    catalog: &'a Catalog,
    groups: &[String],
    answers: &BTreeMap<String, String>,
) -> Vec<Line<'a>> {
    catalog
        .asked(groups, answers)
        .into_iter()
        .filter(|(l, applies)| {
            *applies
                && l.requirement.question() != Question::None
                && !answers.contains_key(&l.requirement.id.value)
        })
        .map(|(l, _)| l)
        .collect()
}

impl App {
    /// A catalog of a current library, by `library/catalog` or by an id only one has.
    fn find_catalog(&self, name: &str) -> Option<Arc<Library>> {
        match name.split_once('/') {
            Some((lib, id)) => self
                .libraries
                .latest(lib)
                .filter(|l| l.catalogs.contains_key(id))
                .cloned(),
            None => {
                let mut found = self
                    .libraries
                    .current()
                    .filter(|l| l.catalogs.contains_key(name));
                match (found.next(), found.next()) {
                    (Some(lib), None) => Some(lib.clone()),
                    _ => None,
                }
            }
        }
    }

    /// The catalogs of the current libraries, each with the organisations where the caller
    /// holds a role that answers it.
    pub async fn assessable(&self, caller: &Caller) -> Result<Vec<Assessable>, AppError> {
        let mut out = Vec::new();
        for lib in self.libraries.current() {
            for (id, catalog) in &lib.catalogs {
                out.push(Assessable {
                    library: lib.clone(),
                    catalog: id.clone(),
                    organisations: self
                        .held_in(caller, catalog.by.iter().map(|p| p.role.value.as_str()))
                        .await?,
                    campaign_organisations: self
                        .held_in(
                            caller,
                            catalog.campaign_by.iter().map(|p| p.role.value.as_str()),
                        )
                        .await?,
                });
            }
        }
        Ok(out)
    }

    /// Starts a campaign: one assessment for every organisation directly below
    /// `input.organisation`, each answered there, totalled on the campaign. For whoever the
    /// catalog lets run campaigns there.
    pub async fn start_campaign(
        &self,
        caller: &Caller,
        input: StartAssessment,
    ) -> Result<Uuid, AppError> {
        self.start(caller, input, true).await
    }

    /// Starts an assessment of an organisation, for whoever the catalog names there.
    pub async fn start_assessment(
        &self,
        caller: &Caller,
        input: StartAssessment,
    ) -> Result<Uuid, AppError> {
        self.start(caller, input, false).await
    }

    async fn start(
        &self,
        caller: &Caller,
        input: StartAssessment,
        campaign: bool,
    ) -> Result<Uuid, AppError> {
        let lib = self
            .find_catalog(&input.catalog)
            .ok_or(AppError::NotFound)?;
        let catalog_id = input
            .catalog
            .rsplit_once('/')
            .map_or(input.catalog.as_str(), |(_, c)| c);
        let catalog = &lib.catalogs[catalog_id];
        let mut errors = mamori_domain::FieldErrors::default();
        let title = input.title.trim();
        if title.is_empty() {
            errors.push("title", "required");
        } else if title.chars().count() > 200 {
            errors.push_limit("title", "too-long", 200);
        }
        if input
            .groups
            .iter()
            .any(|g| !catalog.groups.iter().any(|x| x.id.value == *g))
        {
            errors.push("groups", "not-found");
        }
        let mut tx = self.db.begin().await?;
        let facts = match self.case_facts(&mut tx, input.organisation).await {
            Ok(f) => f,
            Err(AppError::NotFound) => {
                errors.push("organisation", "not-found");
                return Err(AppError::Invalid(errors));
            }
            Err(e) => return Err(e),
        };
        let who = if campaign {
            &catalog.campaign_by
        } else {
            &catalog.by
        };
        if acting_org(caller, who, &facts).is_none() {
            drop(tx);
            return self
                .deny(
                    caller,
                    "assessment.start",
                    Some(input.organisation),
                    "assessment",
                    None,
                )
                .await;
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let id = Uuid::now_v7();
        let groups = serde_json::to_string(&input.groups).unwrap_or_else(|_| "[]".into());
        let new = |id, organisation, state, parent| NewAssessment {
            id,
            library: lib.id(),
            version: lib.version(),
            catalog: catalog_id,
            organisation,
            title,
            groups: &groups,
            state,
            parent,
            by: caller.actor.person,
            now: self.now(),
        };
        let mut parts = Vec::new();
        if campaign {
            assessments::insert(&mut tx, &new(id, input.organisation, "campaign", None)).await?;
            for child in
                mamori_storage::organisations::children(&self.db, input.organisation).await?
            {
                let part = Uuid::now_v7();
                assessments::insert(&mut tx, &new(part, child.id, "open", Some(id))).await?;
                parts.push(part);
            }
        } else {
            assessments::insert(&mut tx, &new(id, input.organisation, "open", None)).await?;
        }
        self.record_done(
            &mut tx,
            caller,
            if campaign { "assessment.campaign" } else { "assessment.start" },
            input.organisation,
            ("assessment", id.to_string()),
            json!({ "library": lib.id(), "version": lib.version(), "catalog": catalog_id, "title": title, "groups": input.groups, "parts": parts }),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The assessment, the loaded library and whether the caller answers it; refuses
    /// whoever may neither read nor answer it.
    pub(crate) async fn assessment_for(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<(AssessmentRow, Arc<Library>, bool), AppError> {
        let row = assessments::get(&self.db, id).await?;
        let library = self
            .stored_version(&self.db, &row.library_id, &row.library_version)
            .await?;
        let catalog = library
            .catalogs
            .get(&row.catalog_id)
            .ok_or_else(|| AppError::Internal("the assessment's catalog is missing".into()))?;
        let facts = self.case_facts(&self.db, row.organisation_id).await?;
        // A campaign is answered only through its parts.
        let campaign = row.state == "campaign";
        let answers = !campaign && acting_org(caller, &catalog.by, &facts).is_some();
        let runs = campaign && acting_org(caller, &catalog.campaign_by, &facts).is_some();
        let org_facts = OrgFacts {
            ancestors: facts.ancestors.clone(),
            related: vec![],
        };
        if !answers && !runs && !policy::allows(&caller.actor, Permission::ViewCases, &org_facts) {
            return self
                .deny(
                    caller,
                    "assessment.read",
                    Some(row.organisation_id),
                    "assessment",
                    Some(id.to_string()),
                )
                .await;
        }
        Ok((row, library, answers))
    }

    /// Reads an assessment: its summary and one page of requirements with their answers.
    pub async fn assessment(
        &self,
        caller: &Caller,
        id: Uuid,
        page: PageRequest,
    ) -> Result<AssessmentView, AppError> {
        let (row, library, answers_it) = self.assessment_for(caller, id).await?;
        let catalog = &library.catalogs[&row.catalog_id];
        let groups: Vec<String> = serde_json::from_str(&row.groups).unwrap_or_default();
        let values = answers_map(assessments::answer_values(&self.db, id).await?);
        let mut asked = catalog.asked(&groups, &values);
        // An assessment of some groups lists theirs (and what belongs to none): a role's
        // questionnaire read from a matrix is not paged through every other role's rows.
        if !groups.is_empty() {
            asked.retain(|(l, _)| {
                l.requirement
                    .group
                    .as_ref()
                    .is_none_or(|g| groups.contains(&g.value))
            });
        }
        let applicable = asked
            .iter()
            .filter(|(l, applies)| *applies && l.requirement.question() != Question::None)
            .count();
        let missing = unanswered(catalog, &groups, &values).len();
        let offset = usize::try_from(page.offset).unwrap_or(0);
        let limit = usize::try_from(page.limit).unwrap_or(50);
        let lines: Vec<&(Line<'_>, bool)> = asked.iter().skip(offset).take(limit).collect();
        let ids: Vec<&str> = lines
            .iter()
            .map(|(l, _)| l.requirement.id.value.as_str())
            .collect();
        let mut stored: BTreeMap<String, AnswerRow> = assessments::answers_to(&self.db, id, &ids)
            .await?
            .into_iter()
            .map(|a| (a.requirement_id.clone(), a))
            .collect();
        let mut linked = mamori_storage::evidence::linked(&self.db, id, &ids).await?;
        let page = lines
            .into_iter()
            .map(|(l, applies)| {
                let r = l.requirement;
                RequirementView {
                    id: r.id.value.clone(),
                    depth: l.depth,
                    text: r.text.clone(),
                    help: r.help.clone(),
                    question: r.question(),
                    options: r
                        .options
                        .iter()
                        .map(|o| (o.id.value.clone(), o.label.clone()))
                        .collect(),
                    applies: *applies,
                    answer: stored.remove(&r.id.value),
                    evidence: linked
                        .extract_if(.., |(req, _)| *req == r.id.value)
                        .map(|(_, e)| e)
                        .collect(),
                }
            })
            .collect();
        let parts = if row.state == "campaign" {
            assessments::parts(&self.db, id).await?
        } else {
            vec![]
        };
        let tally = if row.state == "campaign" {
            // The campaign's own total is its parts'.
            parts.iter().fold(Tally::default(), |t, p| Tally {
                pass: t.pass + p.tally.pass,
                fail: t.fail + p.tally.fail,
                not_applicable: t.not_applicable + p.tally.not_applicable,
                pass_weight: t.pass_weight + p.tally.pass_weight,
                scored_weight: t.scored_weight + p.tally.scored_weight,
            })
        } else {
            assessments::tally(&self.db, id).await?
        };
        Ok(AssessmentView {
            tally,
            parts,
            may_answer: answers_it && row.state == "open",
            asked: applicable,
            unanswered: missing,
            total: asked.len(),
            page,
            groups,
            library,
            row,
        })
    }

    /// Records answers. Every answer is checked first (the requirement is asked, the answer
    /// is one it takes, "does not apply" has a reason); if any is wrong nothing is stored.
    /// Answers to requirements that stop applying (a `when` no longer met) are dropped.
    pub async fn answer_assessment(
        &self,
        caller: &Caller,
        id: Uuid,
        input: Vec<AnswerInput>,
    ) -> Result<(), AppError> {
        let (row, library, answers_it) = self.assessment_for(caller, id).await?;
        if !answers_it {
            return self
                .deny(
                    caller,
                    "assessment.answer",
                    Some(row.organisation_id),
                    "assessment",
                    Some(id.to_string()),
                )
                .await;
        }
        if row.state != "open" {
            return Err(AppError::Rule {
                code: "assessment-submitted",
            });
        }
        let catalog = &library.catalogs[&row.catalog_id];
        let groups: Vec<String> = serde_json::from_str(&row.groups).unwrap_or_default();
        let mut tx = self.db.begin().await?;
        let mut values = answers_map(assessments::answer_values(&mut tx, id).await?);
        for a in &input {
            if a.answer.trim().is_empty() {
                values.remove(&a.requirement);
            } else {
                values.insert(a.requirement.clone(), a.answer.trim().to_owned());
            }
        }
        let asked: BTreeMap<&str, bool> = catalog
            .asked(&groups, &values)
            .into_iter()
            .map(|(l, applies)| (l.requirement.id.value.as_str(), applies))
            .collect();
        let mut problems = Vec::new();
        let mut store = Vec::new();
        let mut cleared = Vec::new();
        for a in &input {
            let problem = |code: &'static str| FormProblem {
                field: a.requirement.clone(),
                label: catalog.requirement(&a.requirement).map_or_else(
                    || Text {
                        ja: a.requirement.clone(),
                        en: None,
                    },
                    |r| Text {
                        ja: format!("{} {}", r.id.value, r.text.ja),
                        en: Some(format!("{} {}", r.id.value, r.text.get("en"))),
                    },
                ),
                code,
                limit: None,
            };
            let Some(r) = catalog.requirement(&a.requirement) else {
                problems.push(problem("unknown_requirement"));
                continue;
            };
            if a.answer.trim().is_empty() {
                cleared.push(a.requirement.clone());
                continue;
            }
            if asked.get(a.requirement.as_str()) != Some(&true) {
                problems.push(problem("not_asked"));
                continue;
            }
            if a.note.chars().count() > 2000 {
                problems.push(FormProblem {
                    limit: Some("2000".into()),
                    ..problem("too_long")
                });
                continue;
            }
            match r.judge(a.answer.trim(), &a.note) {
                Ok(outcome) => store.push((r, a, outcome)),
                Err(refusal) => problems.push(problem(refusal.code())),
            }
        }
        if !problems.is_empty() {
            return Err(AppError::FormInvalid(problems));
        }
        let rows: Vec<NewAnswer<'_>> = store
            .iter()
            .map(|(r, a, outcome): &(_, _, Outcome)| NewAnswer {
                requirement: &r.id.value,
                answer: a.answer.trim(),
                outcome: outcome.as_str(),
                weight: i64::from(r.weight()),
                note: a.note.trim(),
            })
            .collect();
        let now = self.now();
        assessments::answer(&mut tx, id, &rows, caller.actor.person, now).await?;
        // What no longer applies keeps no answer: it would count in the summary.
        cleared.extend(
            values
                .keys()
                .filter(|k| asked.get(k.as_str()) == Some(&false))
                .cloned(),
        );
        assessments::forget(&mut tx, id, &cleared).await?;
        self.record_done(
            &mut tx,
            caller,
            "assessment.answer",
            row.organisation_id,
            ("assessment", id.to_string()),
            json!({
                "answers": rows.iter().map(|a| json!({"requirement": a.requirement, "answer": a.answer, "note": a.note})).collect::<Vec<_>>(),
                "cleared": cleared,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Submits an assessment once every requirement asked is answered; answers can no
    /// longer change. What is missing is named, the first 50.
    pub async fn submit_assessment(&self, caller: &Caller, id: Uuid) -> Result<(), AppError> {
        let (row, library, answers_it) = self.assessment_for(caller, id).await?;
        if !answers_it {
            return self
                .deny(
                    caller,
                    "assessment.submit",
                    Some(row.organisation_id),
                    "assessment",
                    Some(id.to_string()),
                )
                .await;
        }
        let catalog = &library.catalogs[&row.catalog_id];
        let groups: Vec<String> = serde_json::from_str(&row.groups).unwrap_or_default();
        let mut tx = self.db.begin().await?;
        let values = answers_map(assessments::answer_values(&mut tx, id).await?);
        let missing: Vec<FormProblem> = unanswered(catalog, &groups, &values)
            .into_iter()
            .take(50)
            .map(|l| FormProblem {
                field: l.requirement.id.value.clone(),
                label: Text {
                    ja: format!("{} {}", l.requirement.id.value, l.requirement.text.ja),
                    en: Some(format!(
                        "{} {}",
                        l.requirement.id.value,
                        l.requirement.text.get("en")
                    )),
                },
                code: "unanswered",
                limit: None,
            })
            .collect();
        if !missing.is_empty() {
            return Err(AppError::FormInvalid(missing));
        }
        // Counted once, kept on the row for the roll-up and recorded in the audit trail.
        let tally = assessments::tally(&mut tx, id).await?;
        if !assessments::submit(&mut tx, id, self.now(), &tally).await? {
            return Err(AppError::Rule {
                code: "assessment-submitted",
            });
        }
        let opened = self
            .open_remediation(&mut tx, caller, &library, &row, catalog)
            .await?;
        self.record_done(
            &mut tx,
            caller,
            "assessment.submit",
            row.organisation_id,
            ("assessment", id.to_string()),
            json!({ "pass": tally.pass, "fail": tally.fail, "not_applicable": tally.not_applicable, "remediation_cases": opened }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens a remediation case for every finding, when the catalog names the procedure:
    /// in the same transaction as the submission, so a submitted assessment never lacks
    /// the cases its findings call for.
    async fn open_remediation(
        &self,
        tx: &mut mamori_storage::Tx,
        caller: &Caller,
        library: &Library,
        row: &AssessmentRow,
        catalog: &Catalog,
    ) -> Result<Vec<Uuid>, AppError> {
        let Some(findings) = &catalog.findings else {
            return Ok(vec![]);
        };
        let procedure = &library.procedures[&findings.procedure.value];
        let facts = self.case_facts(&mut *tx, row.organisation_id).await?;
        let failed = assessments::failed(&mut *tx, row.id).await?;
        let mut opened = Vec::new();
        for line in catalog.lines() {
            let Some(answer) = failed
                .iter()
                .find(|a| a.requirement_id == line.requirement.id.value)
            else {
                continue;
            };
            let remark = if answer.note.is_empty() {
                format!("{}（{}）", row.title, answer.answer)
            } else {
                format!("{}: {}", row.title, answer.note)
            };
            let form = &library.form_of(procedure).fields;
            let mut data = mamori_library::form::Data::new();
            for (field, text) in [
                (
                    "requirement",
                    format!("{} {}", line.requirement.id.value, line.requirement.text.ja),
                ),
                ("finding", remark),
            ] {
                // Kept within the field's limit, so that the case can be submitted as it is.
                let limit = form.iter().find(|f| f.id() == field).map_or(200, |f| {
                    f.max_length.unwrap_or(match f.kind {
                        mamori_library::model::FieldType::LongText => 4000,
                        _ => 200,
                    })
                });
                data.insert(
                    field.into(),
                    json!(text.chars().take(limit).collect::<String>()),
                );
            }
            let case = self
                .insert_case(
                    tx,
                    crate::cases::Opener::Caller(caller),
                    library,
                    procedure,
                    row.organisation_id,
                    data,
                    &facts,
                )
                .await?;
            assessments::set_remediation(tx, row.id, &answer.requirement_id, case).await?;
            opened.push(case);
        }
        Ok(opened)
    }

    /// The findings of an assessment, in the catalog's order.
    pub async fn findings(&self, caller: &Caller, id: Uuid) -> Result<Vec<Finding>, AppError> {
        let (row, library, _) = self.assessment_for(caller, id).await?;
        let catalog = &library.catalogs[&row.catalog_id];
        let mut failed: BTreeMap<String, AnswerRow> = assessments::failed(&self.db, id)
            .await?
            .into_iter()
            .map(|a| (a.requirement_id.clone(), a))
            .collect();
        Ok(catalog
            .lines()
            .into_iter()
            .filter_map(|l| {
                let answer = failed.remove(&l.requirement.id.value)?;
                Some(Finding {
                    requirement: l.requirement.id.value.clone(),
                    text: l.requirement.text.clone(),
                    answer,
                })
            })
            .collect())
    }

    /// The assessments of the organisations whose cases the caller may read.
    pub async fn assessments(
        &self,
        caller: &Caller,
        page: PageRequest,
    ) -> Result<Page<AssessmentRow>, AppError> {
        let scope = policy::scope(&caller.actor, Permission::ViewCases, &[]);
        Ok(assessments::list(&self.db, &scope, page).await?)
    }
}
