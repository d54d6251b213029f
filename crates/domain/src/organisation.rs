//! Organisations (組織): the tree and the relations that cross it.

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, clean_text};

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
}

impl RelationKind {
    /// Every kind.
    pub const ALL: [RelationKind; 3] = [
        RelationKind::ContractsWith,
        RelationKind::SubcontractorOf,
        RelationKind::Engages,
    ];

    /// The identifier stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::ContractsWith => "contracts_with",
            RelationKind::SubcontractorOf => "subcontractor_of",
            RelationKind::Engages => "engages",
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
