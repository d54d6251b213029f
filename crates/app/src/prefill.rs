//! A new form filled in with what mamori already knows (`prefill` of a procedure): the
//! organisation's name, the person's, the organisation's register rows. The person checks
//! and corrects it; nothing is stored until they save.

use serde_json::Value;
use uuid::Uuid;

use mamori_library::form::Data;
use mamori_library::model::{Library, PrefillSource};
use mamori_storage::{organisations as orgs, persons};

use crate::{App, AppError, Caller};

impl App {
    /// The values a new form of `procedure` (`library/procedure`) for `organisation` starts
    /// with. Register rows come only from registers the caller may read.
    pub async fn prefill(
        &self,
        caller: &Caller,
        lib: &Library,
        procedure: &str,
        organisation: Uuid,
    ) -> Result<Data, AppError> {
        let mut data = Data::new();
        let Some(p) = lib.procedures.get(procedure) else {
            return Ok(data);
        };
        let form = lib.form_of(p);
        for pre in &p.prefill {
            let Some(field) = form.fields.iter().find(|f| f.id() == pre.field.value) else {
                continue;
            };
            let value = match pre.from {
                PrefillSource::Organisation => {
                    Value::String(orgs::get(&self.db, organisation).await?.name)
                }
                PrefillSource::Person => {
                    Value::String(persons::get(&self.db, caller.actor.person).await?.name)
                }
                PrefillSource::Register => {
                    let Some(register) = &pre.register else {
                        continue;
                    };
                    let kept_by = orgs::ancestors(&self.db, organisation).await?;
                    let view = self.register(caller, &register.value, false).await?;
                    let rows: Vec<Value> = view
                        .rows
                        .iter()
                        .filter(|r| kept_by.contains(&r.organisation_id))
                        .take(field.max_rows.unwrap_or(50))
                        .map(|r| {
                            let stored: Data = serde_json::from_str(&r.data).unwrap_or_default();
                            Value::Object(
                                field
                                    .fields
                                    .iter()
                                    .filter_map(|c| {
                                        stored.get(c.id()).map(|v| (c.id().to_owned(), v.clone()))
                                    })
                                    .collect(),
                            )
                        })
                        .collect();
                    if rows.is_empty() {
                        continue;
                    }
                    Value::Array(rows)
                }
            };
            data.insert(field.id().to_owned(), value);
        }
        Ok(data)
    }
}
