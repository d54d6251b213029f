//! Organisations (組織): the tree and the relations that cross it.

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, FieldErrors, clean_text};

/// Longest organisation name accepted, in characters.
pub const NAME_MAX: u32 = 200;

/// What kind of body an organisation is; the tree allows any nesting, the kind is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 省 (e.g. the Ministry of Defense)
    Ministry,
    /// 庁 (e.g. ATLA)
    Agency,
    /// 局・部
    Bureau,
    /// 課・室・部隊
    Unit,
    /// 地方公共団体
    LocalGovernment,
    /// 部局 of a local government
    Department,
    /// 企業
    Company,
    /// 拠点
    Site,
}

impl OrgKind {
    /// Every kind, in the order a form lists them.
    pub const ALL: [OrgKind; 8] = [
        OrgKind::Ministry,
        OrgKind::Agency,
        OrgKind::Bureau,
        OrgKind::Unit,
        OrgKind::LocalGovernment,
        OrgKind::Department,
        OrgKind::Company,
        OrgKind::Site,
    ];

    /// The identifier stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Ministry => "ministry",
            OrgKind::Agency => "agency",
            OrgKind::Bureau => "bureau",
            OrgKind::Unit => "unit",
            OrgKind::LocalGovernment => "local_government",
            OrgKind::Department => "department",
            OrgKind::Company => "company",
            OrgKind::Site => "site",
        }
    }

    /// Parses an identifier as stored or sent.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(FieldError {
                field: "kind",
                code: "invalid-choice",
                limit: None,
            })
    }
}

/// A validated organisation name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    /// Trims and checks a name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        clean_text("name", raw, NAME_MAX).map(Self)
    }
}

impl AsRef<str> for OrgName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The desk an organisation keeps for urgent calls: who answers, the number in working
/// hours, and the number for nights and holidays where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desk {
    /// Who answers (総務部 情報セキュリティ担当 …).
    pub name: String,
    /// The number in working hours.
    pub phone: String,
    /// The number for nights and holidays.
    pub night_phone: Option<String>,
}

impl Desk {
    /// Checks a desk as typed: a name and a working-hours number are needed, the night
    /// number is optional. A number is digits with hyphens, spaces, `+` or brackets, then
    /// optionally a note of extensions in brackets (「03-3268-3111（内線21040）」); full-width
    /// digits and dashes, as a Japanese keyboard types them, are taken as their ASCII forms.
    pub fn parse(name: &str, phone: &str, night_phone: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.take(clean_text("desk_name", name, NAME_MAX));
        let phone = errors.take(parse_phone("desk_phone", phone));
        let night_phone = if night_phone.trim().is_empty() {
            Some(None)
        } else {
            errors.take(parse_phone("desk_night_phone", night_phone).map(Some))
        };
        match (name, phone, night_phone) {
            (Some(name), Some(phone), Some(night_phone)) if errors.is_empty() => Ok(Desk {
                name,
                phone,
                night_phone,
            }),
            _ => Err(errors),
        }
    }
}

/// The longest telephone number with its note of extensions.
const PHONE_MAX: u32 = 80;

fn parse_phone(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let ascii: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '－' | 'ー' | '‐' | '−' | '―' => '-',
            '＋' => '+',
            '　' => ' ',
            other => other,
        })
        .collect();
    let text = clean_text(field, &ascii, PHONE_MAX)?;
    let (number, _note) = match text.find(['(', '（']) {
        Some(i) => text.split_at(i),
        None => (text.as_str(), ""),
    };
    let digits = number.chars().filter(char::is_ascii_digit).count();
    if digits < 6
        || !number
            .chars()
            .all(|c| c.is_ascii_digit() || "-+ ".contains(c))
    {
        return Err(FieldError {
            field,
            code: "invalid-phone",
            limit: None,
        });
    }
    Ok(text)
}

/// A relation between two organisations that is not the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// A company contracts with (契約) the organisation that signed its contract.
    ContractsWith,
    /// A subcontractor (下請負者) of its prime contractor.
    SubcontractorOf,
    /// An organisation engages (委託) another to serve those it works with: ATLA engages
    /// the gateway's service provider and its works contractor. Kept apart from
    /// contracts, so that a company ATLA buys from does not become a party to other
    /// companies' cases.
    Engages,
    /// A municipality reports its yearly cycle and its incidents to (報告) a prefecture, or
    /// a prefecture to the Ministry: once accepted, the body reported to sees the roll-up
    /// (rounds done, self-check scores, incidents reported to it) and nothing else.
    ReportsTo,
}

impl RelationKind {
    /// Every kind.
    pub const ALL: [RelationKind; 4] = [
        RelationKind::ContractsWith,
        RelationKind::SubcontractorOf,
        RelationKind::Engages,
        RelationKind::ReportsTo,
    ];

    /// The identifier stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::ContractsWith => "contracts_with",
            RelationKind::SubcontractorOf => "subcontractor_of",
            RelationKind::Engages => "engages",
            RelationKind::ReportsTo => "reports_to",
        }
    }

    /// Parses an identifier.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(FieldError {
                field: "kind",
                code: "invalid-choice",
                limit: None,
            })
    }
}

/// Whether making `new_parent` the parent of `org` would put `org` inside its own subtree.
///
/// `ancestors_of_new_parent` are the new parent and all its ancestors.
pub fn reparent_makes_cycle(org: uuid::Uuid, ancestors_of_new_parent: &[uuid::Uuid]) -> bool {
    ancestors_of_new_parent.contains(&org)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_desk_takes_numbers_as_a_japanese_keyboard_types_them() {
        let desk =
            super::Desk::parse(" 総務部 ", "０３－１２３４－５６７８（内線12）", "").unwrap();
        assert_eq!(desk.name, "総務部");
        assert_eq!(desk.phone, "03-1234-5678（内線12）");
        assert_eq!(desk.night_phone, None);
    }

    #[test]
    fn a_desk_without_a_name_or_with_words_for_a_number_is_refused_field_by_field() {
        let errors = super::Desk::parse("", "夜間は携帯へ", "090").unwrap_err();
        let codes: Vec<(&str, &str)> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            codes,
            [
                ("desk_name", "required"),
                ("desk_phone", "invalid-phone"),
                ("desk_night_phone", "invalid-phone")
            ]
        );
    }

    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()).unwrap(), k);
        }
        assert_eq!(
            OrgKind::parse("Company").unwrap_err().code,
            "invalid-choice"
        );
    }

    #[test]
    fn moving_under_own_descendant_is_a_cycle() {
        let a = uuid::Uuid::now_v7();
        let b = uuid::Uuid::now_v7();
        assert!(reparent_makes_cycle(a, &[b, a]));
        assert!(reparent_makes_cycle(a, &[a]));
        assert!(!reparent_makes_cycle(a, &[b]));
    }
}
