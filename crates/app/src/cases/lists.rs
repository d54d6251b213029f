//! The lists of cases: the inbox, the case list, the overrides and emergencies to review,
//! and the reader's notices.

use super::*;

impl App {
    /// The exceptions to a separation of duties listed for the caller (as overseer of
    /// them), latest first.
    pub async fn overrides(&self, caller: &Caller) -> Result<Vec<cases::OverrideRow>, AppError> {
        Ok(cases::overrides_for(&self.db, caller.actor.person, self.today(), 200).await?)
    }

    /// The actions taken in an emergency that wait on the caller's ratification, the
    /// earliest due first.
    pub async fn emergencies(&self, caller: &Caller) -> Result<Vec<cases::EmergencyRow>, AppError> {
        Ok(cases::emergencies_for(&self.db, caller.actor.person, self.today(), 200).await?)
    }

    /// The caller's notifications, unread first.
    pub async fn notifications(
        &self,
        caller: &Caller,
        limit: i64,
    ) -> Result<Vec<notifications::NotificationRow>, AppError> {
        Ok(notifications::for_person(&self.db, caller.actor.person, limit.clamp(1, 200)).await?)
    }

    /// What waits on the caller today.
    pub async fn inbox(
        &self,
        caller: &Caller,
        filter: &CaseFilter,
        page: PageRequest,
    ) -> Result<Page<CaseRow>, AppError> {
        Ok(cases::inbox(&self.db, caller.actor.person, self.today(), filter, page).await?)
    }

    /// Cases of the organisations the caller may read.
    pub async fn cases(
        &self,
        caller: &Caller,
        filter: &CaseFilter,
        page: PageRequest,
    ) -> Result<Page<CaseRow>, AppError> {
        let scope = policy::scope(&caller.actor, Permission::ViewCases, &[]);
        // Whatever the caller asked for, need-to-know cases are filtered for them.
        let filter = CaseFilter {
            reader: Some((caller.actor.person, self.today())),
            ..filter.clone()
        };
        Ok(cases::list(&self.db, &scope, &filter, page).await?)
    }
}
