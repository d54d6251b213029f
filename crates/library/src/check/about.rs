//! Roles held for a register row: the roles a register lets be held for one of its rows,
//! the row a procedure's cases are about, and the parties that hold their role for it.

use std::collections::BTreeMap;

use super::Checker;
use crate::model::{Field, Party, Procedure, Relation};

impl Checker<'_> {
    /// `about` names a register of the library, with a key of its columns from the form's
    /// fields; a party `of: case_row` needs `about` and one of the roles the register
    /// declares for its rows.
    pub(super) fn about(&mut self, p: &Procedure, fields: &BTreeMap<&str, &Field>) {
        let row_roles: Vec<String> = match &p.about {
            None => Vec::new(),
            Some(about) => match self.register(&about.register.value) {
                None => {
                    self.at(
                        &about.register,
                        format!(
                            "台帳「{}」はこのライブラリにありません (unknown register)",
                            about.register.value
                        ),
                    );
                    return;
                }
                // A register without roles held for its rows is still a case's subject
                // (a periodic check of each contract, opened with the row's key); only a
                // party `of: case_row` needs its roles, below.
                Some(r) => {
                    self.key(&about.register, r, &about.key, fields);
                    r.roles.iter().map(|x| x.value.clone()).collect::<Vec<_>>()
                }
            },
        };
        let parties = p
            .start
            .iter()
            .chain(p.transitions.iter().flat_map(|t| &t.by))
            .chain(
                p.transitions
                    .iter()
                    .flat_map(|t| t.emergency.iter().flat_map(|e| &e.ratified_by)),
            )
            .chain(p.deadlines.iter().flat_map(|d| &d.escalate));
        let for_row: Vec<&Party> = parties.filter(|b| b.of == Relation::CaseRow).collect();
        for party in for_row {
            if p.about.is_none() {
                self.at(
                    &party.role,
                    "of: case_row には手続の about（案件が対象とする台帳の行）が必要です",
                );
            } else if !row_roles.contains(&party.role.value) {
                self.at(
                    &party.role,
                    format!(
                        "役割「{}」は about の台帳の roles にありません (not held for a row)",
                        party.role.value
                    ),
                );
            }
        }
    }
}
