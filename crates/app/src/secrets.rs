//! Secrets handed over in a case (an initial password passed down the chain): sealed
//! under the installation's key and kept apart, never in the case's data, its history,
//! the audit trail, the exports or the documents; shown once to one of the people the
//! library says it is for, who then confirm they received it.

use mamori_domain::audit::Outcome;
use mamori_library::Text;
use mamori_library::form::Data;
use mamori_library::model::{FieldType, Procedure, Someone, SomeoneNamed, Transition};
use mamori_storage::case_secrets::{self, SecretRow};
use mamori_storage::{Src, Ts, Tx, cases, persons};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::plan::Taken;
use crate::{App, AppError, Caller, Event};

/// A secret of a case as its page shows it: never its value.
#[derive(Debug, Clone)]
pub struct SecretView {
    /// The history entry that handed it over.
    pub seq: i64,
    /// The action's field.
    pub field: String,
    /// Its label.
    pub label: Text,
    /// The reader may be shown it now (it is for them and nobody has been shown it).
    pub may_reveal: bool,
    /// The reader was shown it and has not confirmed receiving it yet.
    pub may_confirm: bool,
    /// Who was shown it, and when.
    pub shown: Option<(String, Ts)>,
    /// When they confirmed receiving it.
    pub received_at: Option<Ts>,
}

/// Where a secret is kept: its case, the history entry and the field, bound into the seal
/// so that a sealed value moved elsewhere does not open.
fn owner(case: Uuid, seq: i64, field: &str) -> Vec<u8> {
    format!("case-secret/{case}/{seq}/{field}").into_bytes()
}

/// Whether a procedure hands over secrets at all (only then are they looked up).
pub(crate) fn has_secrets(procedure: &Procedure) -> bool {
    procedure
        .transitions
        .iter()
        .flat_map(|t| &t.fields)
        .any(|f| f.kind == FieldType::Secret)
}

/// The case a secret belongs to, as sealing reads it.
pub(crate) struct Holder<'a> {
    /// The case.
    pub case: Uuid,
    /// Whoever opened it.
    pub opened_by: Uuid,
    /// Its history, the action just taken included.
    pub history: &'a [Taken],
    /// Its data after the action.
    pub data: &'a Data,
}

impl App {
    /// Seals the secrets an action handed over, each for the people its field names.
    pub(crate) async fn seal_secrets(
        &self,
        tx: &mut Tx,
        at: &Holder<'_>,
        seq: i64,
        t: &Transition,
        secrets: &[(String, String)],
    ) -> Result<(), AppError> {
        for (field, value) in secrets {
            let Some(f) = t.fields.iter().find(|f| f.id() == field) else {
                continue;
            };
            let mut recipients = Vec::new();
            for someone in &f.secret_for {
                match &someone.value {
                    Someone::Named(SomeoneNamed::Applicant) => recipients.push(at.opened_by),
                    Someone::Took { took } => recipients.extend(
                        at.history
                            .iter()
                            .filter(|h| h.action == *took)
                            .filter_map(|h| h.actor),
                    ),
                    Someone::Subject { subject } => {
                        if let Some(text) = at.data.get(subject).and_then(Value::as_str)
                            && let Some(p) = persons::named(tx, text).await?
                        {
                            recipients.push(p.id);
                        }
                    }
                }
            }
            recipients.sort();
            recipients.dedup();
            let sealed = self
                .settings
                .sealer
                .seal(value, &owner(at.case, seq, field));
            case_secrets::insert(tx, at.case, seq, field, &sealed, &recipients).await?;
        }
        Ok(())
    }

    /// The secrets of a case as `reader` sees them.
    pub(crate) async fn secret_views(
        &self,
        src: Src<'_>,
        procedure: &Procedure,
        case: Uuid,
        reader: Uuid,
    ) -> Result<Vec<SecretView>, AppError> {
        if !has_secrets(procedure) {
            return Ok(Vec::new());
        }
        let rows = case_secrets::for_case(src, case).await?;
        Ok(rows
            .into_iter()
            .map(|r| SecretView {
                label: label(procedure, &r.field),
                may_reveal: r.shown_at.is_none() && r.is_for(reader),
                may_confirm: r.shown_to == Some(reader) && r.received_at.is_none(),
                shown: r
                    .shown_at
                    .map(|at| (r.shown_to_name.clone().unwrap_or_default(), at)),
                received_at: r.received_at,
                seq: r.event_seq,
                field: r.field,
            })
            .collect())
    }

    /// Shows a secret once to one of the people it is for, wiping it: the value, or why
    /// not. The audit trail records that it was shown, never what.
    pub async fn reveal_secret(
        &self,
        caller: &Caller,
        case: Uuid,
        seq: i64,
        field: &str,
    ) -> Result<String, AppError> {
        let mut tx = self.db.begin().await?;
        let row = cases::get(&mut tx, case).await?;
        let secret = self.secret_of(&mut tx, case, seq, field).await?;
        if !secret.is_for(caller.actor.person) {
            drop(tx);
            return self
                .deny(
                    caller,
                    "case.secret.show",
                    Some(row.organisation_id),
                    "case",
                    Some(case.to_string()),
                )
                .await;
        }
        let now = self.now();
        let Some(sealed) =
            case_secrets::take(&mut tx, case, seq, field, caller.actor.person, now).await?
        else {
            return Err(AppError::Rule {
                code: "secret-already-shown",
            });
        };
        let value = self
            .settings
            .sealer
            .open(&sealed, &owner(case, seq, field))
            .ok_or_else(|| AppError::Internal("a sealed secret does not open".into()))?;
        self.record_secret(
            &mut tx,
            caller,
            row.organisation_id,
            case,
            "case.secret.show",
            seq,
            field,
        )
        .await?;
        tx.commit().await?;
        Ok(value)
    }

    /// Records that whoever was shown a secret received it.
    pub async fn receive_secret(
        &self,
        caller: &Caller,
        case: Uuid,
        seq: i64,
        field: &str,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        let row = cases::get(&mut tx, case).await?;
        self.secret_of(&mut tx, case, seq, field).await?;
        let now = self.now();
        if !case_secrets::receive(&mut tx, case, seq, field, caller.actor.person, now).await? {
            return Err(AppError::Rule {
                code: "secret-not-shown-to-you",
            });
        }
        self.record_secret(
            &mut tx,
            caller,
            row.organisation_id,
            case,
            "case.secret.receive",
            seq,
            field,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn secret_of(
        &self,
        tx: &mut Tx,
        case: Uuid,
        seq: i64,
        field: &str,
    ) -> Result<SecretRow, AppError> {
        case_secrets::for_case(&mut *tx, case)
            .await?
            .into_iter()
            .find(|s| s.event_seq == seq && s.field == field)
            .ok_or(AppError::NotFound)
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_secret(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        organisation: Uuid,
        case: Uuid,
        action: &'static str,
        seq: i64,
        field: &str,
    ) -> Result<(), AppError> {
        self.record(
            tx,
            Some(caller.actor.person),
            caller.ip.as_deref(),
            Event {
                action,
                organisation: Some(organisation),
                target_kind: "case",
                target_id: Some(case.to_string()),
                outcome: Outcome::Success,
                detail: json!({ "seq": seq, "field": field }),
            },
        )
        .await?;
        Ok(())
    }
}

/// A secret field's label, wherever in the procedure it is.
fn label(procedure: &Procedure, field: &str) -> Text {
    procedure
        .transitions
        .iter()
        .flat_map(|t| &t.fields)
        .find(|f| f.id() == field)
        .map_or_else(
            || Text {
                ja: field.to_owned(),
                en: None,
            },
            |f| f.label.clone(),
        )
}
