//! Integration tests through HTTP against a real server on a loopback port, on SQLite
//! (default) or PostgreSQL (`TEST_DATABASE_URL`). One binary, so one link step.

mod support;

mod adaptations;
mod api_tokens;
mod appointments;
mod assessments;
mod attachments;
mod audit;
mod auth;
mod bad_input;
mod case_page;
mod cases;
mod classes;
mod committee;
mod deadlines;
mod derived_fields;
mod dsg;
mod duties;
mod edge;
mod form_types;
mod history;
mod incident_routing;
mod incidents;
mod isolation;
mod ledgers;
mod lg_security;
mod marks;
mod oidc;
mod organisations;
mod outbox;
mod pages;
mod passkeys;
mod people;
mod people_import;
mod procedures_page;
mod register_filters;
mod registers;
mod rounds;
mod row_roles;
mod search;
mod secrets;
mod setup_guide;
mod strict_input;
mod system_ops;
mod wider;
