//! The Rust that belongs to one rulebook (one seed's library): the rules and derivations
//! its YAML names that a condition cannot say. Each rulebook registers them here, under its
//! library's id; the engine finds them by name (`rules::rule`, `rules::derivation`) and
//! knows nothing else of any rulebook.

pub mod dsg;
pub mod incident;

use crate::rules::{Derivation, Rule};

/// What one rulebook adds to the engine.
pub struct Rulebook {
    /// The library it belongs to.
    pub library: &'static str,
    /// The rules its conditions may name.
    pub rules: &'static [Rule],
    /// The derivations its computed fields may name.
    pub derivations: &'static [Derivation],
}

/// Every rulebook with Rust of its own.
pub const ALL: &[Rulebook] = &[incident::RULEBOOK, dsg::RULEBOOK];
