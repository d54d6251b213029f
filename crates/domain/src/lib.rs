//! mamori's entities and pure rules.
//!
//! Nothing here touches a database, a clock or the network: every rule takes the facts it
//! needs as arguments, so it can be tested in milliseconds and reused by every layer.

pub mod attachment;
pub mod audit;
pub mod calendar;
pub mod deadline;
pub mod organisation;
pub mod period;
pub mod person;
pub mod policy;
pub mod recurrence;
pub mod rulebooks;
pub mod schedule;
pub mod validation;

pub use validation::{FieldError, FieldErrors};
