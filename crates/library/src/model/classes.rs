//! Classification: ordered axes (機密性 1–3, 完全性 1–2, 可用性 1–2, or one scale Ⅰ–Ⅳ) whose
//! levels cases, register rows and attachments carry.

use super::*;

/// An axis of classification, its levels from the least to the most restrictive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    /// Snake-case id, unique in the library; also the id of the field that carries it.
    pub id: Spanned<String>,
    /// What the originals call it (機密性).
    pub name: Text,
    /// What it measures.
    #[serde(default)]
    pub description: Option<Text>,
    /// Its levels, least restrictive first.
    pub levels: Vec<Mark>,
    /// Every case and row must be classified on it.
    #[serde(default)]
    pub required: bool,
    /// The highest level a record may carry here, and why.
    #[serde(default)]
    pub ceiling: Option<Ceiling>,
}

/// The highest level of an axis records may carry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ceiling {
    /// A level of the axis.
    pub level: Spanned<String>,
    /// Why, with the clause it comes from: shown when a record above it is refused.
    pub reason: Text,
}

/// The id of the axis a library's `marks` make.
pub const MARK_AXIS: &str = MARK_FIELD;

impl Axis {
    /// The handling marks (部内限り, 注意) as one axis: they are declared least restrictive
    /// first, so the most restrictive of several is the last.
    pub fn of_marks(marks: &[Mark]) -> Axis {
        use serde_saphyr::Location;
        Axis {
            id: Spanned::new(MARK_AXIS.to_owned(), Location::UNKNOWN, Location::UNKNOWN),
            name: Text {
                ja: "取扱区分".into(),
                en: Some("Handling mark".into()),
            },
            description: None,
            levels: marks.to_vec(),
            required: false,
            ceiling: None,
        }
    }

    /// The rank of a level (0 the least restrictive).
    pub fn rank(&self, level: &str) -> Option<usize> {
        self.levels.iter().position(|l| l.id.value == level)
    }

    /// The ceiling's rank.
    pub fn ceiling_rank(&self) -> Option<usize> {
        self.ceiling
            .as_ref()
            .and_then(|c| self.rank(&c.level.value))
    }
}
