//! Pages, API routes and drawings that belong to one rulebook (one seed's library): the
//! gateway's joining schedules (`mod-dsg`). The generic pages and API name no rulebook's
//! procedure, action or field; they call in here for a rulebook's panel.

pub(crate) mod dsg;
