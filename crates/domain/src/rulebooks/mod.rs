//! The pure rules of one rulebook (one seed) each: the gateway's steps and their plan
//! (`dsg`, seed 000), the incident notice's taxonomy, tables and contacts (`incident`,
//! seed 001). The same rulebooks keep their other Rust under `rulebooks` in the library,
//! the application and the web crates.

pub mod dsg;
pub mod incident;
