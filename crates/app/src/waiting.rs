//! Whom a case waits on now, as people read it: the desk (a role in an organisation) and
//! the people who hold it today — what the inbox is made of, shown on the case itself.

use uuid::Uuid;

use mamori_library::{Library, Text};
use mamori_storage::{Tx, cases, notifications, organisations as orgs, persons, row_designations};

use crate::cases::CaseView;
use crate::{App, AppError};

/// One desk a case waits on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The role's id.
    pub role: String,
    /// Its name, as the library gives it.
    pub role_name: Text,
    /// The organisation it is held in.
    pub organisation: Uuid,
    /// That organisation's name.
    pub organisation_name: String,
    /// Who holds it today (directly or through a post), by name.
    pub people: Vec<String>,
}

impl App {
    /// Whom a case the caller has read waits on now, by organisation then role.
    pub async fn waiting_on(&self, v: &CaseView) -> Result<Vec<Waiting>, AppError> {
        // Reads only: the transaction is dropped, never committed.
        let mut tx = self.db.begin().await?;
        self.desks_waited_on(&mut tx, &v.library, v.row.id).await
    }

    /// The desks a case waits on, as stored in `tx`. A role a procedure lets be held at
    /// any level above the case (the chief, `parent_chain`) is waited on at each level;
    /// only the levels where someone holds it are named, unless nobody holds it anywhere,
    /// which is then shown as it is.
    pub(crate) async fn desks_waited_on(
        &self,
        tx: &mut Tx,
        lib: &Library,
        case: Uuid,
    ) -> Result<Vec<Waiting>, AppError> {
        let mut out = Vec::new();
        for (role, organisation, about) in cases::waits(&mut *tx, case).await? {
            let role_name = lib.role(&role).map_or_else(
                || Text {
                    ja: role.clone(),
                    en: None,
                },
                |r| r.name.clone(),
            );
            let organisation_name = orgs::get(&mut *tx, organisation).await?.name;
            let holders = match about {
                // Held for the row the case is about: its holders alone.
                Some(row) => row_designations::holders(&mut *tx, row, self.today())
                    .await?
                    .into_iter()
                    .filter(|(r, _)| *r == role)
                    .map(|(_, p)| p)
                    .collect(),
                None => {
                    notifications::holders_of(&mut *tx, &role, &[organisation], self.today())
                        .await?
                }
            };
            let mut people = Vec::new();
            for p in holders {
                people.push(persons::get(&mut *tx, p).await?.name);
            }
            people.sort();
            out.push(Waiting {
                role,
                role_name,
                organisation,
                organisation_name,
                people,
            });
        }
        if out.iter().any(|w| !w.people.is_empty()) {
            out.retain(|w| !w.people.is_empty());
        }
        out.sort_by(|a, b| {
            (&a.organisation_name, &a.role_name.ja).cmp(&(&b.organisation_name, &b.role_name.ja))
        });
        Ok(out)
    }
}
