//! The class a record carries: one level per axis of its library, read from the fields
//! that carry them, combined by taking the higher level on each axis.
//!
//! A container (a register's export, a case's archive with its attachments) takes the
//! highest class of what it holds — seed 004 2(2)⑤(ウ) 「電磁的記録媒体に情報資産の分類が
//! 異なる情報が複数記録されている場合、最高度の分類に従って、当該電磁的記録媒体を取り扱わ
//! なければならない」 — and what is copied from a classified record carries the record's
//! class (2(2)④(ア) 「入手元の情報資産の分類に基づいた取扱いをしなければならない」).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::form::Data;
use crate::model::{Axis, Condition, Field, Library, MARK_AXIS, Mark, Procedure};

/// Levels by axis, as ranks (0 the least restrictive); an axis left empty is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Class(BTreeMap<String, usize>);

impl Class {
    /// Raises each axis to the other's level where that is higher.
    pub fn join(&mut self, other: &Class) {
        for (axis, rank) in &other.0 {
            let here = self.0.entry(axis.clone()).or_insert(*rank);
            *here = (*here).max(*rank);
        }
    }

    /// Whether no axis is classified.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The rank on an axis.
    pub fn rank(&self, axis: &str) -> Option<usize> {
        self.0.get(axis).copied()
    }
}

/// An axis whose level lies above the ceiling in force.
#[derive(Debug, Clone)]
pub struct AboveCeiling<'l> {
    pub axis: &'l Axis,
    /// The level the record carries.
    pub level: &'l Mark,
    /// The highest it may carry.
    pub ceiling: &'l Mark,
}

impl Library {
    /// The class a record's data carries.
    pub fn class_of(&self, data: &Data) -> Class {
        Class(
            self.axes
                .iter()
                .filter_map(|a| {
                    let level = data.get(&a.id.value)?.as_str()?;
                    Some((a.id.value.clone(), a.rank(level)?))
                })
                .collect(),
        )
    }

    /// The levels of a class, in axis order.
    pub fn levels_of<'l>(&'l self, class: &Class) -> Vec<(&'l Axis, &'l Mark)> {
        self.axes
            .iter()
            .filter_map(|a| Some((a, a.levels.get(class.rank(&a.id.value)?)?)))
            .collect()
    }

    /// The class as printed on documents and exports (「機密性2・完全性1・可用性2」,
    /// 「注意」); `None` when it is unclassified.
    pub fn class_label(&self, class: &Class, lang: &str) -> Option<String> {
        let labels: Vec<&str> = self
            .levels_of(class)
            .into_iter()
            .map(|(_, l)| l.label.get(lang))
            .collect();
        (!labels.is_empty()).then(|| labels.join("・"))
    }

    /// Whether a level of the class limits reading to those who need to know.
    pub fn need_to_know(&self, class: &Class) -> bool {
        self.levels_of(class).iter().any(|(_, l)| l.need_to_know)
    }

    /// The class as stored beside a record: a mark alone as its id (as stored before
    /// there were axes), otherwise `axis=level` pairs joined by `;`.
    pub fn class_key(&self, class: &Class) -> Option<String> {
        let levels = self.levels_of(class);
        match levels.as_slice() {
            [] => None,
            [(a, l)] if a.id.value == MARK_AXIS => Some(l.id.value.clone()),
            _ => Some(
                levels
                    .iter()
                    .map(|(a, l)| format!("{}={}", a.id.value, l.id.value))
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
        }
    }

    /// A class read back from [`Library::class_key`]; levels the library no longer has
    /// are left out.
    pub fn class_from_key(&self, key: &str) -> Class {
        let mut data = Data::new();
        for part in key.split(';') {
            let (axis, level) = part.split_once('=').unwrap_or((MARK_AXIS, part));
            data.insert(axis.to_owned(), Value::String(level.to_owned()));
        }
        self.class_of(&data)
    }

    /// A stored class as printed, in both languages, and whether it restricts reading;
    /// `None` for no class.
    pub fn printed_class(&self, key: Option<&str>) -> Option<(crate::Text, bool)> {
        let class = self.class_from_key(key?);
        let ja = self.class_label(&class, "ja")?;
        let en = self.class_label(&class, "en");
        Some((crate::Text { ja, en }, self.need_to_know(&class)))
    }

    /// Writes a class into a record's data, the level of each axis it carries.
    pub fn put_class(&self, class: &Class, data: &mut Data) {
        for (a, l) in self.levels_of(class) {
            data.insert(a.id.value.clone(), Value::String(l.id.value.clone()));
        }
    }

    /// The axes on which `class` lies above `cap` (a row's class capping a case about it).
    pub fn above<'l>(&'l self, class: &Class, cap: &Class) -> Vec<AboveCeiling<'l>> {
        self.axes
            .iter()
            .filter_map(|a| {
                let rank = class.rank(&a.id.value)?;
                let top = cap.rank(&a.id.value)?;
                (rank > top).then(|| AboveCeiling {
                    axis: a,
                    level: &a.levels[rank],
                    ceiling: &a.levels[top],
                })
            })
            .collect()
    }

    /// The axes on which the class lies above the ceiling in force.
    pub fn above_ceiling(&self, class: &Class) -> Vec<AboveCeiling<'_>> {
        self.axes
            .iter()
            .filter_map(|a| {
                let rank = class.rank(&a.id.value)?;
                let ceiling = a.ceiling_rank()?;
                (rank > ceiling).then(|| AboveCeiling {
                    axis: a,
                    level: &a.levels[rank],
                    ceiling: &a.levels[ceiling],
                })
            })
            .collect()
    }
}

/// Turns each `{ class: axis, at_least: level }` of a procedure into the test of the
/// axis's field against that level and those above it, so that it is decided (on the
/// server and in the page's script) like any other field condition. Called once the
/// library is checked, which refuses an unknown axis or level.
pub(crate) fn resolve_procedure(p: &mut Procedure, axes: &[Axis]) {
    for t in &mut p.transitions {
        let writes = t.writes.iter_mut().filter_map(|w| w.when.as_mut());
        let requires = t
            .requires
            .iter_mut()
            .flat_map(|r| r.when.iter_mut().chain([&mut r.check]));
        let branches = t.to.iter_mut().filter_map(|b| b.when.as_mut());
        for c in t
            .when
            .iter_mut()
            .chain(writes)
            .chain(requires)
            .chain(branches)
        {
            resolve(&mut c.value, axes);
        }
    }
    for d in &mut p.deadlines {
        if let Some(c) = &mut d.when {
            resolve(&mut c.value, axes);
        }
    }
}

/// The same for the conditions of fields (`required_when`, `asked_when`).
pub(crate) fn resolve_fields(fields: &mut [Field], axes: &[Axis]) {
    for f in fields {
        for c in f.required_when.iter_mut().chain(f.asked_when.iter_mut()) {
            resolve(&mut c.value, axes);
        }
        resolve_fields(&mut f.fields, axes);
    }
}

fn resolve(c: &mut Condition, axes: &[Axis]) {
    if let (Some(axis), Some(level)) = (&c.class, &c.at_least)
        && let Some(a) = axes.iter().find(|a| a.id.value == axis.value)
        && let Some(rank) = a.rank(&level.value)
    {
        c.field = Some(axis.clone());
        c.one_of = Some(
            a.levels[rank..]
                .iter()
                .map(|l| Value::String(l.id.value.clone()))
                .collect(),
        );
    }
    for inner in c.all.iter_mut().chain(c.any.iter_mut()).flatten() {
        resolve(&mut inner.value, axes);
    }
    if let Some(inner) = &mut c.not {
        resolve(&mut inner.value, axes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library() -> Library {
        let yaml = r#"
id: classed
version: "1"
title: { ja: 格付 }
marks:
  - { id: internal_only, label: { ja: 部内限り } }
classification:
  - id: confidentiality
    name: { ja: 機密性 }
    levels:
      - { id: c1, label: { ja: 機密性1 } }
      - { id: c2, label: { ja: 機密性2 } }
      - { id: c3, label: { ja: 機密性3 }, need_to_know: true }
    ceiling: { level: c2, reason: { ja: 例 } }
  - id: integrity
    name: { ja: 完全性 }
    levels:
      - { id: i1, label: { ja: 完全性1 } }
      - { id: i2, label: { ja: 完全性2 } }
"#;
        crate::load_sources(vec![crate::Source {
            path: "library.yaml".into(),
            content: yaml.into(),
        }])
        .expect("loads")
    }

    fn data(pairs: &[(&str, &str)]) -> Data {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect()
    }

    #[test]
    fn a_container_takes_the_highest_level_of_each_axis() {
        let lib = library();
        let mut class = lib.class_of(&data(&[("confidentiality", "c2"), ("integrity", "i1")]));
        class.join(&lib.class_of(&data(&[("confidentiality", "c1"), ("integrity", "i2")])));
        assert_eq!(
            lib.class_label(&class, "ja").as_deref(),
            Some("機密性2・完全性2")
        );
        class.join(&lib.class_of(&data(&[("handling_mark", "internal_only")])));
        assert_eq!(
            lib.class_label(&class, "ja").as_deref(),
            Some("部内限り・機密性2・完全性2"),
            "marks come first, as their field heads the form"
        );
    }

    #[test]
    fn the_stored_key_reads_back_and_a_lone_mark_keeps_its_old_form() {
        let lib = library();
        let mark = lib.class_of(&data(&[("handling_mark", "internal_only")]));
        assert_eq!(lib.class_key(&mark).as_deref(), Some("internal_only"));
        assert_eq!(lib.class_from_key("internal_only"), mark);
        let class = lib.class_of(&data(&[("confidentiality", "c3"), ("integrity", "i2")]));
        let key = lib.class_key(&class).unwrap();
        assert_eq!(key, "confidentiality=c3;integrity=i2");
        assert_eq!(lib.class_from_key(&key), class);
        assert!(lib.need_to_know(&class), "c3 is need-to-know");
        assert!(
            lib.class_from_key("confidentiality=c9").is_empty(),
            "unknown level"
        );
    }

    #[test]
    fn a_level_above_the_ceiling_is_found_and_one_at_it_is_not() {
        let lib = library();
        let at = lib.class_of(&data(&[("confidentiality", "c2")]));
        assert!(lib.above_ceiling(&at).is_empty());
        let above = lib.class_of(&data(&[("confidentiality", "c3")]));
        let found = lib.above_ceiling(&above);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].ceiling.label.ja, "機密性2");
    }
}
