//! Classification: the axes a library declares, their levels and ceilings, and the field
//! ids they keep for themselves.

use std::collections::BTreeSet;

use super::Checker;
use crate::model::{MARK_AXIS, Manifest};

impl Checker<'_> {
    /// Checks `classification`: ids, levels (at least two, each id once) and ceilings.
    pub(super) fn axes(&mut self, m: &Manifest) {
        self.unique(m.classification.iter().map(|a| &a.id), "格付の軸");
        for axis in &m.classification {
            self.id(&axis.id, "格付の軸");
            if axis.id.value == MARK_AXIS {
                self.at(
                    &axis.id,
                    format!("軸 id「{MARK_AXIS}」は marks のために予約されています (reserved)"),
                );
            }
            if axis.levels.len() < 2 {
                self.at(
                    &axis.id,
                    "軸には区分を二つ以上、低いものから順に書いてください (at least two levels)",
                );
            }
            let mut seen = BTreeSet::new();
            for level in &axis.levels {
                self.id(&level.id, "区分");
                if !seen.insert(level.id.value.as_str()) {
                    self.at(
                        &level.id,
                        format!("区分「{}」が重複しています", level.id.value),
                    );
                }
            }
            if let Some(c) = &axis.ceiling
                && axis.rank(&c.level.value).is_none()
            {
                self.at(
                    &c.level,
                    format!(
                        "上限「{}」は軸「{}」の区分にありません (unknown level)",
                        c.level.value, axis.id.value
                    ),
                );
            }
        }
    }

    /// Whether an id is kept for a classification field: the marks' or an axis's.
    pub(super) fn classes(&self, id: &str) -> bool {
        let m = self.parts.manifest;
        (id == MARK_AXIS && !m.marks.is_empty())
            || m.classification.iter().any(|a| a.id.value == id)
    }
}
