//! The Defense Security Gateway (seed 000) on the web: a joining site's schedule on its case
//! page and as a chart, ATLA's overview of every site (`/dsg`), and both through the API.

pub(crate) mod api;
pub(crate) mod gantt;
pub(crate) mod pages;
