//! Procedure libraries: a procedure of the seed documents written once, as data.
//!
//! A library is a folder of YAML files — `library.yaml` (id, version, title, roles),
//! `forms/*.yaml`, `procedures/*.yaml`, `registers/*.yaml`, `catalogs/*.yaml` and
//! `matrices/*.yaml` — that [`load`] reads and
//! checks as a whole, reporting every problem with its file and line. What a procedure
//! needs at run time is pure and lives here too: validating form data ([`form`]) and
//! deciding conditions and targets of transitions ([`condition`]).

pub mod adapt;
pub mod catalog;
mod check;
pub mod class;
pub mod condition;
pub mod document;
pub mod form;
pub mod load;
pub mod matrix;
pub mod model;
pub mod rulebooks;
pub mod rules;
mod shipped;

pub use load::{Problem, Source, load_dir, load_sources};
pub use model::{Library, Text};
pub use shipped::{shipped, shipped_sources};
