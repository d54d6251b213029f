//! A site joining the Defense Security Gateway (seed 000): who may apply ([`Eligibility`]).
//! The seven steps, their actors and the month's block are data: the `schedule` of
//! `mod-dsg`'s `joining` procedure, planned by [`crate::schedule`]. Where a software request
//! goes is data too: the branches of `mod-dsg`'s `software` procedure.

/// The four requirements a site must meet to apply (加入要件), as the applicant answers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Eligibility {
    /// A contract that may use the gateway is performed or in prospect (実績等), with
    /// evidence attached.
    pub contract: bool,
    /// A handling facility built to the standard's §8, or a deferral granted (設備).
    pub facility: bool,
    /// Equipment meeting the published specification can be installed (機器).
    pub equipment: bool,
    /// The site is in Japan (拠点地域).
    pub in_japan: bool,
}

/// A requirement a site does not meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmet {
    /// No contract performed or in prospect.
    Contract,
    /// No facility to the standard and no deferral.
    Facility,
    /// No equipment to the specification.
    Equipment,
    /// The site is outside Japan: the gateway cannot serve it, whatever else holds.
    OutsideJapan,
}

impl Unmet {
    /// Why, as the applicant is told.
    pub fn reason(self) -> &'static str {
        match self {
            Unmet::Contract => {
                "防衛セキュリティゲートウェイを利用し得る契約の実績又は見込みが必要です"
            }
            Unmet::Facility => {
                "情報セキュリティ基準第8項に基づく取扱施設等の整備（又は猶予の承認）が必要です"
            }
            Unmet::Equipment => "公表された仕様を満たす機器を拠点に設置できることが必要です",
            Unmet::OutsideJapan => "日本国外の拠点は加入できません",
        }
    }
}

impl Eligibility {
    /// The requirements not met, in the notice's order; empty when the site may apply.
    pub fn unmet(&self) -> Vec<Unmet> {
        [
            (self.contract, Unmet::Contract),
            (self.facility, Unmet::Facility),
            (self.equipment, Unmet::Equipment),
            (self.in_japan, Unmet::OutsideJapan),
        ]
        .into_iter()
        .filter_map(|(met, u)| (!met).then_some(u))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_outside_japan_is_refused_with_its_reason() {
        let all = Eligibility {
            contract: true,
            facility: true,
            equipment: true,
            in_japan: true,
        };
        assert!(all.unmet().is_empty());
        let abroad = Eligibility {
            in_japan: false,
            ..all
        };
        assert_eq!(abroad.unmet(), [Unmet::OutsideJapan]);
        assert!(Unmet::OutsideJapan.reason().contains("日本国外"));
        assert_eq!(
            Eligibility::default().unmet(),
            [
                Unmet::Contract,
                Unmet::Facility,
                Unmet::Equipment,
                Unmet::OutsideJapan
            ]
        );
    }

    #[test]
    fn each_of_the_four_requirements_alone_keeps_a_site_out() {
        // 「次の4つの要件を全て満たす必要があります」: a site meeting three of them is still
        // refused, and told which one it misses.
        let all = Eligibility {
            contract: true,
            facility: true,
            equipment: true,
            in_japan: true,
        };
        let cases = [
            (
                Eligibility {
                    contract: false,
                    ..all
                },
                Unmet::Contract,
                "契約の実績又は見込み",
            ),
            (
                Eligibility {
                    facility: false,
                    ..all
                },
                Unmet::Facility,
                "取扱施設等",
            ),
            (
                Eligibility {
                    equipment: false,
                    ..all
                },
                Unmet::Equipment,
                "機器",
            ),
            (
                Eligibility {
                    in_japan: false,
                    ..all
                },
                Unmet::OutsideJapan,
                "日本国外",
            ),
        ];
        for (site, gate, reason) in cases {
            assert_eq!(site.unmet(), [gate], "{site:?}");
            assert!(gate.reason().contains(reason), "{gate:?}");
        }
    }
}
