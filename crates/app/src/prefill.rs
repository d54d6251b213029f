//! A new form filled in with what mamori already knows (`prefill` of a procedure): the
//! organisation's name, the person's, the organisation's register rows. The person checks
//! and corrects it; nothing is stored until they save. A table an action asks for may
//! start from a register too (a checklist's items, to be answered one by one), and a field
//! of an action from one row's column (what the register holds on the case's subject).

use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

use mamori_library::condition::{self, key_text};
use mamori_library::form::Data;
use mamori_library::model::{Beside, Field, Library, Prefill, PrefillSource};
use mamori_storage::registers::{self, RowRecord};
use mamori_storage::{organisations as orgs, persons};

use crate::cases::read_from;
use crate::{App, AppError, Caller, CaseView};

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
            if let Some(value) = self
                .prefilled(caller, lib, pre, field, organisation)
                .await?
            {
                data.insert(field.id().to_owned(), value);
            }
        }
        Ok(data)
    }

    /// The tables the actions the reader may take now ask for that start from a register
    /// (a checklist's items) or another table, and their fields that start from one
    /// register row's column, while the case has none recorded yet: what their action
    /// boxes open with.
    pub async fn action_prefill(&self, caller: &Caller, v: &CaseView) -> Result<Data, AppError> {
        let mut data = Data::new();
        let p = v.procedure();
        // Registers read for keyed prefills, each once.
        let mut read: BTreeMap<String, Vec<RowRecord>> = BTreeMap::new();
        for pre in &p.prefill {
            let Some(field) = v
                .actions
                .iter()
                .flat_map(|a| a.transition.fields.iter())
                .find(|f| f.id() == pre.field.value)
            else {
                continue;
            };
            if v.data.contains_key(field.id()) {
                continue;
            }
            let value = if pre.is_keyed() {
                self.row_column(caller, pre, v, &mut read).await?
            } else if pre.from == PrefillSource::Table {
                pre.table
                    .as_ref()
                    .and_then(|t| v.data.get(&t.value))
                    .and_then(|rows| shared_columns(field, rows))
            } else if let Some(rows) = self.kept_elsewhere(pre, v).await? {
                table_of(field, &rows)
            } else {
                self.prefilled(caller, &v.library, pre, field, v.row.organisation_id)
                    .await?
            };
            if let Some(value) = value {
                data.insert(field.id().to_owned(), value);
            }
        }
        Ok(data)
    }

    /// The column a keyed prefill reads from the live row under its key kept by the
    /// case's organisation or the nearest one above it (where a condition finds it), among
    /// the rows the caller may read.
    async fn row_column(
        &self,
        caller: &Caller,
        pre: &Prefill,
        v: &CaseView,
        read: &mut BTreeMap<String, Vec<RowRecord>>,
    ) -> Result<Option<Value>, AppError> {
        let (Some(register), Some(column)) = (&pre.register, &pre.column) else {
            return Ok(None);
        };
        let today = self.today().0.to_string();
        let Some(key) = condition::resolve_key(&pre.key, &v.data, &today) else {
            return Ok(None);
        };
        let key = key_text(&key);
        if !read.contains_key(&register.value) {
            let view = self.register(caller, &register.value, false).await?;
            read.insert(register.value.clone(), view.rows);
        }
        let rows = &read[&register.value];
        let kept_by = orgs::ancestors(&self.db, v.row.organisation_id).await?;
        let Some(row) = kept_by.iter().find_map(|o| {
            rows.iter()
                .find(|r| r.organisation_id == *o && r.key_text == key)
        }) else {
            return Ok(None);
        };
        let mut stored: Data = serde_json::from_str(&row.data).unwrap_or_default();
        // An empty column prefills nothing.
        Ok(stored
            .remove(&column.value)
            .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty())))
    }

    /// The rows a table starts from when its register is kept by another organisation for
    /// the case to read (`read_from`: a checklist its contracting organisation keeps once
    /// for every company); none when the register is the case's organisation's own. Being
    /// a party to the case is what lets the reader see them, as the case's conditions read
    /// them, whatever the reader may open in that organisation's registers.
    async fn kept_elsewhere(
        &self,
        pre: &Prefill,
        v: &CaseView,
    ) -> Result<Option<Vec<RowRecord>>, AppError> {
        let Some(register) = pre.register.as_ref().map(|r| r.value.as_str()) else {
            return Ok(None);
        };
        if pre.from != PrefillSource::Register
            || v.library
                .registers
                .get(register)
                .is_none_or(|r| r.read_from.is_empty())
        {
            return Ok(None);
        }
        let keepers = read_from(&v.library, register, &v.facts);
        Ok(Some(
            registers::kept_by(&self.db, v.library.id(), register, &keepers).await?,
        ))
    }

    async fn prefilled(
        &self,
        caller: &Caller,
        lib: &Library,
        pre: &Prefill,
        field: &Field,
        organisation: Uuid,
    ) -> Result<Option<Value>, AppError> {
        Ok(Some(match pre.from {
            PrefillSource::Organisation => {
                Value::String(orgs::get(&self.db, organisation).await?.name)
            }
            PrefillSource::Person => {
                Value::String(persons::get(&self.db, caller.actor.person).await?.name)
            }
            // Only an action's table starts from another table of the case.
            PrefillSource::Table => return Ok(None),
            PrefillSource::Register => {
                let Some(register) = &pre.register else {
                    return Ok(None);
                };
                // A list kept elsewhere is read only through a case's relations, never
                // from the organisation's own tree.
                if lib
                    .registers
                    .get(&register.value)
                    .is_some_and(|r| !r.read_from.is_empty())
                {
                    return Ok(None);
                }
                let kept_by = orgs::ancestors(&self.db, organisation).await?;
                let view = self.register(caller, &register.value, false).await?;
                let rows: Vec<RowRecord> = view
                    .rows
                    .into_iter()
                    .filter(|r| kept_by.contains(&r.organisation_id))
                    .collect();
                let Some(mut table) = table_of(field, &rows) else {
                    return Ok(None);
                };
                if let Some(beside) = &pre.beside {
                    self.set_beside(caller, beside, &kept_by, &rows, &mut table)
                        .await?;
                }
                return Ok(Some(table));
            }
        }))
    }
}

impl App {
    /// Sets beside each row of `table` (made from `rows`, in order) the columns of the live
    /// row of another register its key finds — kept by the case's organisation or the
    /// nearest one above it, among the rows the caller may read — or what `unmatched` says
    /// when none does: the personnel section's list beside each user ID, so that an ID
    /// whose holder has left stands out without a second lookup.
    async fn set_beside(
        &self,
        caller: &Caller,
        beside: &Beside,
        kept_by: &[Uuid],
        rows: &[RowRecord],
        table: &mut Value,
    ) -> Result<(), AppError> {
        let today = self.today().0.to_string();
        let others = self
            .register(caller, &beside.register.value, false)
            .await?
            .rows;
        let Some(cells) = table.as_array_mut() else {
            return Ok(());
        };
        for (cell, row) in cells.iter_mut().zip(rows) {
            let Some(cell) = cell.as_object_mut() else {
                continue;
            };
            let stored: Data = serde_json::from_str(&row.data).unwrap_or_default();
            let found = condition::resolve_key(&beside.key, &stored, &today).and_then(|key| {
                let key = key_text(&key);
                kept_by.iter().find_map(|o| {
                    others
                        .iter()
                        .find(|r| r.organisation_id == *o && r.key_text == key)
                })
            });
            match found {
                Some(other) => {
                    let data: Data = serde_json::from_str(&other.data).unwrap_or_default();
                    for (to, from) in &beside.columns {
                        if let Some(v) = data.get(from) {
                            cell.insert(to.clone(), v.clone());
                        }
                    }
                }
                None => {
                    for (to, value) in &beside.unmatched {
                        cell.insert(to.clone(), Value::String(value.clone()));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A table of `field` with a row per register row, keeping the columns they share; none
/// when there are no rows.
fn table_of(field: &Field, rows: &[RowRecord]) -> Option<Value> {
    let rows: Vec<Value> = rows
        .iter()
        .take(field.max_rows.unwrap_or(50))
        .map(|r| {
            let stored: Data = serde_json::from_str(&r.data).unwrap_or_default();
            Value::Object(
                field
                    .fields
                    .iter()
                    .filter_map(|c| stored.get(c.id()).map(|v| (c.id().to_owned(), v.clone())))
                    .collect(),
            )
        })
        .collect();
    (!rows.is_empty()).then_some(Value::Array(rows))
}

/// The rows of a table, keeping the columns `field` shares with it; none when it has none.
fn shared_columns(field: &Field, rows: &Value) -> Option<Value> {
    let rows: Vec<Value> = rows
        .as_array()?
        .iter()
        .filter_map(Value::as_object)
        .take(field.max_rows.unwrap_or(50))
        .map(|row| {
            Value::Object(
                field
                    .fields
                    .iter()
                    .filter_map(|c| row.get(c.id()).map(|v| (c.id().to_owned(), v.clone())))
                    .collect(),
            )
        })
        .collect();
    (!rows.is_empty()).then_some(Value::Array(rows))
}
