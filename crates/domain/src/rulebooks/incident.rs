//! Incident reports from defence contractors (seed 001): what happened decides what must be
//! reported, under which clause, and how fast.
//!
//! The taxonomy of cyber events the notice lists (記3) and the two tables of its annex
//! (by the security guideline for secrets, by the information-security standard for
//! protected information) are carried here as data; [`classify`] applies them. It is pure:
//! the incident library asks it while the reporter answers the wizard.

/// One event of the notice's taxonomy, as numbered there. What it says is the library's
/// (the options of `mod-incident-report`'s `events` field, in both languages); the rules
/// here need only which clause and group an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// `1ア` … `1シ`, `2ア` … `2ウ`, `3ア`, `3イ`, `4`.
    pub id: &'static str,
    /// The same id in ASCII, as a library's option ids are written (`e1a`, `e1shi`, `e4`).
    pub code: &'static str,
    /// The group: サイバー攻撃, 誤操作, サイバー攻撃以外によるウィルスの混入等, その他.
    pub group: u8,
}

/// The taxonomy (記3(1)–(4)).
pub const EVENTS: [Event; 18] = [
    Event {
        id: "1ア",
        code: "e1a",
        group: 1,
    },
    Event {
        id: "1イ",
        code: "e1i",
        group: 1,
    },
    Event {
        id: "1ウ",
        code: "e1u",
        group: 1,
    },
    Event {
        id: "1エ",
        code: "e1e",
        group: 1,
    },
    Event {
        id: "1オ",
        code: "e1o",
        group: 1,
    },
    Event {
        id: "1カ",
        code: "e1ka",
        group: 1,
    },
    Event {
        id: "1キ",
        code: "e1ki",
        group: 1,
    },
    Event {
        id: "1ク",
        code: "e1ku",
        group: 1,
    },
    Event {
        id: "1ケ",
        code: "e1ke",
        group: 1,
    },
    Event {
        id: "1コ",
        code: "e1ko",
        group: 1,
    },
    Event {
        id: "1サ",
        code: "e1sa",
        group: 1,
    },
    Event {
        id: "1シ",
        code: "e1shi",
        group: 1,
    },
    Event {
        id: "2ア",
        code: "e2a",
        group: 2,
    },
    Event {
        id: "2イ",
        code: "e2i",
        group: 2,
    },
    Event {
        id: "2ウ",
        code: "e2u",
        group: 2,
    },
    Event {
        id: "3ア",
        code: "e3a",
        group: 3,
    },
    Event {
        id: "3イ",
        code: "e3i",
        group: 3,
    },
    Event {
        id: "4",
        code: "e4",
        group: 4,
    },
];

/// An event by id.
pub fn event(id: &str) -> Option<&'static Event> {
    EVENTS.iter().find(|e| e.id == id)
}

/// An event by its ASCII code.
pub fn event_by_code(code: &str) -> Option<&'static Event> {
    EVENTS.iter().find(|e| e.code == code)
}

/// How far it is known that information was leaked, lost or destroyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrence {
    /// It happened (事故の発生).
    Occurred,
    /// It may have happened, or may happen (事故の疑い又は事故につながるおそれ).
    Suspected,
    /// Someone inside or outside pointed out it may have happened or may happen (指摘).
    Indication,
}

/// What a server or PC affected held or was connected to (the standard's 12(1)イ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Servers {
    /// Malicious code on a server or PC storing protected information (④ア).
    pub malware_on_storing: bool,
    /// Unauthorised access to a server or PC storing protected information (④イ).
    pub access_to_storing: bool,
    /// Malicious code on a server or PC on the same intranet as one storing it (④ウ).
    pub malware_on_same_intranet: bool,
}

/// What the reporter answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Situation {
    /// Taxonomy events (ids of [`EVENTS`]).
    pub events: Vec<&'static str>,
    /// How far a leak is known, if anything is known of one.
    pub occurrence: Option<Occurrence>,
    /// The company handles secrets under its contracts (the guideline applies).
    pub secrets: bool,
    /// The company handles protected information (the standard applies).
    pub protected: bool,
    /// Servers and PCs affected.
    pub servers: Servers,
    /// The reporter answered that the defence division's systems were not affected at all,
    /// which takes (1)ア–ウ out of the list (their proviso).
    pub defence_systems_untouched: bool,
}

/// The events whose wording carries the proviso 「（ただし、防衛部門システムに全く影響が
/// 発生していない場合は、この限りではない。）」: an infection of someone 「主として防衛関連部門に
/// 属する社員」 through a mail attachment, a mail link or a website.
pub const WITH_PROVISO: [&str; 3] = ["1ア", "1イ", "1ウ"];

/// Whether an event of the list counts for this situation.
pub fn counts(s: &Situation, id: &str) -> bool {
    event(id).is_some() && !(s.defence_systems_untouched && WITH_PROVISO.contains(&id))
}

/// What the report is, as its first line and its title say: the form's own title when it
/// is a rapid report of 12(1)イ, else the clauses it is made under.
pub fn title(obligations: &[Obligation]) -> String {
    if obligations
        .iter()
        .any(|o| o.basis.starts_with("情報セキュリティ基準第12(1)イ"))
    {
        return "情報セキュリティ基準第12(1)イの速報".to_owned();
    }
    let mut bases: Vec<&str> = Vec::new();
    for o in obligations {
        if !bases.contains(&o.basis) {
            bases.push(o.basis);
        }
    }
    if bases.is_empty() {
        "事故等の速報".to_owned()
    } else {
        format!("{}に基づく事故等の速報", bases.join("・"))
    }
}

/// How soon, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligation {
    /// The clause (ガイドライン第9(1)ア, 情報セキュリティ基準第12(1)イ(ア), …).
    pub basis: &'static str,
    /// The category of the annex table.
    pub category: &'static str,
    /// What is reported immediately (直ちに).
    pub immediately: &'static str,
    /// What is reported promptly after (速やかに), if anything.
    pub promptly: Option<&'static str>,
}

const ALL_KNOWN: &str = "把握し得る限りの全ての内容";
const DETAILS: &str = "詳細";
const BACKGROUND: &str = "当該可能性又は懸念の真偽を含む把握し得る限りの全ての背景及び事実関係";

/// The obligations a situation gives rise to, in the order of the annex tables (guideline
/// first). Every event of the taxonomy counts at least as a suspected incident (記3), for
/// secrets and protected information alike, since the information may sit unseen on the
/// defence division's systems.
pub fn classify(s: &Situation) -> Vec<Obligation> {
    let attacked = s.events.iter().any(|e| counts(s, e));
    let occurrence = match (s.occurrence, attacked) {
        (Some(Occurrence::Indication), true) => Some(Occurrence::Suspected),
        (None, true) => Some(Occurrence::Suspected),
        (o, _) => o,
    };
    let mut out = Vec::new();
    if s.secrets {
        match occurrence {
            Some(Occurrence::Occurred | Occurrence::Suspected) => out.push(Obligation {
                basis: "ガイドライン第9(1)ア",
                category: "事故の発生",
                immediately: ALL_KNOWN,
                promptly: Some(DETAILS),
            }),
            Some(Occurrence::Indication) => out.push(Obligation {
                basis: "ガイドライン第9(1)イ",
                category: "事故が発生した可能性又は将来発生する懸念についての指摘",
                immediately: BACKGROUND,
                promptly: None,
            }),
            None => {}
        }
    }
    if s.protected {
        match occurrence {
            Some(Occurrence::Occurred) => out.push(Obligation {
                basis: "情報セキュリティ基準第12(1)ア",
                category: "事故の発生",
                immediately: ALL_KNOWN,
                promptly: Some(DETAILS),
            }),
            Some(Occurrence::Suspected) => out.push(Obligation {
                basis: "情報セキュリティ基準第12(1)ウ",
                category: "事故の疑い又は事故につながるおそれ",
                immediately: ALL_KNOWN,
                promptly: Some(DETAILS),
            }),
            Some(Occurrence::Indication) => out.push(Obligation {
                basis: "情報セキュリティ基準第12(1)エ",
                category: "事故が発生した可能性又は将来発生する懸念についての指摘",
                immediately: BACKGROUND,
                promptly: None,
            }),
            None => {}
        }
        if s.servers.malware_on_storing || s.servers.access_to_storing {
            out.push(Obligation {
                basis: "情報セキュリティ基準第12(1)イ(ア)",
                category: "保護すべき情報が保存されたサーバ等への悪意のあるコードへの感染又は不正アクセス",
                immediately: ALL_KNOWN,
                promptly: None,
            });
        }
        if s.servers.malware_on_same_intranet {
            out.push(Obligation {
                basis: "情報セキュリティ基準第12(1)イ(イ)",
                category: "保護すべき情報が保存されたサーバ等と同一のイントラネットのサーバ等への悪意のあるコードへの感染",
                immediately: ALL_KNOWN,
                promptly: None,
            });
        }
    }
    out
}

/// The items of ④ of the rapid-report form the servers call for: ア, イ, ウ.
pub fn form_items(servers: &Servers) -> Vec<&'static str> {
    [
        (servers.malware_on_storing, "ア"),
        (servers.access_to_storing, "イ"),
        (servers.malware_on_same_intranet, "ウ"),
    ]
    .into_iter()
    .filter_map(|(on, item)| on.then_some(item))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn situation(events: &[&'static str], occurrence: Option<Occurrence>) -> Situation {
        Situation {
            events: events.to_vec(),
            occurrence,
            secrets: true,
            protected: true,
            servers: Servers::default(),
            defence_systems_untouched: false,
        }
    }

    fn bases(s: &Situation) -> Vec<&'static str> {
        classify(s).into_iter().map(|o| o.basis).collect()
    }

    #[test]
    fn every_event_of_the_taxonomy_counts_at_least_as_a_suspected_incident() {
        let per_group: Vec<usize> = (1..=4)
            .map(|g| EVENTS.iter().filter(|e| e.group == g).count())
            .collect();
        assert_eq!(
            per_group,
            [12, 3, 2, 1],
            "ア–シ, ア–ウ, ア–イ and the other"
        );
        for e in &EVENTS {
            let got = classify(&situation(&[e.id], None));
            assert_eq!(
                got.iter().map(|o| o.basis).collect::<Vec<_>>(),
                ["ガイドライン第9(1)ア", "情報セキュリティ基準第12(1)ウ"],
                "{}",
                e.id
            );
            assert!(got.iter().all(|o| o.promptly == Some(DETAILS)), "{}", e.id);
        }
        // Even a mere indication becomes a suspicion once an event of the list occurred.
        assert_eq!(
            bases(&situation(&["1コ"], Some(Occurrence::Indication))),
            ["ガイドライン第9(1)ア", "情報セキュリティ基準第12(1)ウ"]
        );
    }

    #[test]
    fn the_proviso_takes_infections_out_only_when_defence_systems_were_untouched() {
        // 「ただし、防衛部門システムに全く影響が発生していない場合は、この限りではない。」
        for id in WITH_PROVISO {
            let untouched = Situation {
                defence_systems_untouched: true,
                ..situation(&[id], None)
            };
            assert!(classify(&untouched).is_empty(), "{id}");
        }
        // The proviso belongs to ア–ウ only: an overload of the defence systems still counts.
        let overload = Situation {
            defence_systems_untouched: true,
            ..situation(&["1オ"], None)
        };
        assert_eq!(
            bases(&overload),
            ["ガイドライン第9(1)ア", "情報セキュリティ基準第12(1)ウ"]
        );
        // Untouched, but a leak is known: the leak is reported whatever the event.
        let leaked = Situation {
            defence_systems_untouched: true,
            ..situation(&["1ア"], Some(Occurrence::Occurred))
        };
        assert_eq!(
            bases(&leaked),
            ["ガイドライン第9(1)ア", "情報セキュリティ基準第12(1)ア"]
        );
    }

    #[test]
    fn the_title_names_what_the_report_is() {
        let paper = classify(&situation(&[], Some(Occurrence::Indication)));
        assert_eq!(
            title(&paper),
            "ガイドライン第9(1)イ・情報セキュリティ基準第12(1)エに基づく事故等の速報"
        );
        let servers = Situation {
            servers: Servers {
                malware_on_storing: true,
                ..Servers::default()
            },
            ..situation(&["1ア"], None)
        };
        assert_eq!(
            title(&classify(&servers)),
            "情報セキュリティ基準第12(1)イの速報"
        );
        assert_eq!(title(&[]), "事故等の速報");
    }

    #[test]
    fn every_event_has_one_ascii_code() {
        for e in &EVENTS {
            assert_eq!(
                event_by_code(e.code).map(|x| x.id),
                Some(e.id),
                "{}",
                e.code
            );
            assert!(e.code.is_ascii() && e.code.starts_with('e'), "{}", e.code);
        }
        let mut codes: Vec<&str> = EVENTS.iter().map(|e| e.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), EVENTS.len());
    }

    #[test]
    fn what_is_known_of_a_leak_picks_the_clause() {
        assert_eq!(
            bases(&situation(&[], Some(Occurrence::Occurred))),
            ["ガイドライン第9(1)ア", "情報セキュリティ基準第12(1)ア"]
        );
        let indication = classify(&situation(&[], Some(Occurrence::Indication)));
        assert_eq!(
            indication.iter().map(|o| o.basis).collect::<Vec<_>>(),
            ["ガイドライン第9(1)イ", "情報セキュリティ基準第12(1)エ"]
        );
        assert!(indication.iter().all(|o| o.promptly.is_none()));
        assert!(
            classify(&situation(&[], None)).is_empty(),
            "nothing to report"
        );
        // A company that handles only protected information reports under the standard.
        let only_protected = Situation {
            secrets: false,
            ..situation(&[], Some(Occurrence::Occurred))
        };
        assert_eq!(bases(&only_protected), ["情報セキュリティ基準第12(1)ア"]);
        let only_secrets = Situation {
            protected: false,
            ..situation(&["2ウ"], None)
        };
        assert_eq!(bases(&only_secrets), ["ガイドライン第9(1)ア"]);
    }

    #[test]
    fn servers_affected_add_the_rapid_report_of_12_1_i() {
        let s = Situation {
            servers: Servers {
                malware_on_storing: true,
                access_to_storing: false,
                malware_on_same_intranet: true,
            },
            ..situation(&["1ア"], None)
        };
        assert_eq!(
            bases(&s),
            [
                "ガイドライン第9(1)ア",
                "情報セキュリティ基準第12(1)ウ",
                "情報セキュリティ基準第12(1)イ(ア)",
                "情報セキュリティ基準第12(1)イ(イ)"
            ]
        );
        assert_eq!(form_items(&s.servers), ["ア", "ウ"]);
        let access = Servers {
            access_to_storing: true,
            ..Servers::default()
        };
        assert_eq!(form_items(&access), ["イ"]);
    }
}

/// An emergency contact (緊急窓口) of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The contracting organisation it serves (防衛装備庁, 陸上自衛隊, 北海道防衛局 …).
    pub organisation: String,
    /// The desk (装備政策部 装備保全管理官 …).
    pub desk: String,
    /// Its telephone, with extensions where it has them.
    pub phone: String,
    /// The number for nights, weekends and holidays, where it has one.
    pub night_phone: Option<String>,
}

/// Whom to call now, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The contact.
    pub contact: Contact,
    /// The number to call now.
    pub number: String,
    /// The contracting organisation matched no contact: this is the fallback.
    pub fallback: bool,
}

/// The Ministry contacts a report is telephoned to first, in order: the contact of each
/// contracting organisation affected, or the fallback contact when none matches. Outside
/// office hours (nights, weekends, holidays, the year-end closure) a contact's night number
/// is called, or the fallback's when it has none. A subcontractor's report goes to its prime
/// contractor first: that is the procedure's routing (`mod-incident-report`), not this list.
pub fn route(
    directory: &[Contact],
    fallback: Option<&Contact>,
    contracting: &[&str],
    office_hours: bool,
) -> Vec<Call> {
    let number = |c: &Contact| -> String {
        if office_hours {
            return c.phone.clone();
        }
        c.night_phone
            .clone()
            .or_else(|| fallback.and_then(|f| f.night_phone.clone()))
            .unwrap_or_else(|| c.phone.clone())
    };
    let mut calls: Vec<Call> = Vec::new();
    let mut unmatched = contracting.is_empty();
    for org in contracting {
        match directory.iter().find(|c| c.organisation == *org) {
            Some(c) if !calls.iter().any(|x| x.contact == *c) => calls.push(Call {
                number: number(c),
                contact: c.clone(),
                fallback: false,
            }),
            Some(_) => {}
            None => unmatched = true,
        }
    }
    if let Some(fallback) = fallback
        && unmatched
        && !calls.iter().any(|x| x.contact == *fallback)
    {
        calls.push(Call {
            number: number(fallback),
            contact: fallback.clone(),
            fallback: true,
        });
    }
    calls
}

#[cfg(test)]
mod routing {
    use super::*;

    fn directory() -> (Vec<Contact>, Contact) {
        let atla = Contact {
            organisation: "防衛装備庁".into(),
            desk: "装備政策部 装備保全管理官".into(),
            phone: "03-3268-3111 (内線21040、21043)".into(),
            night_phone: Some("080-8420-0628".into()),
        };
        let gsdf = Contact {
            organisation: "陸上自衛隊".into(),
            desk: "陸上幕僚監部 装備計画部装備計画課 補給管理班".into(),
            phone: "03-3268-3111 (内線40752～40754)".into(),
            night_phone: None,
        };
        let fallback = Contact {
            organisation: "防衛装備庁".into(),
            desk: "装備政策部 装備保全管理官".into(),
            phone: "03-3268-3111 (内線35258、35242)".into(),
            night_phone: Some("080-8420-0628".into()),
        };
        (vec![atla, gsdf], fallback)
    }

    fn numbers(calls: &[Call]) -> Vec<(&str, bool)> {
        calls
            .iter()
            .map(|c| (c.number.as_str(), c.fallback))
            .collect()
    }

    #[test]
    fn a_report_goes_to_the_contact_of_each_contracting_organisation() {
        let (dir, fallback) = directory();
        let day = route(&dir, Some(&fallback), &["陸上自衛隊", "防衛装備庁"], true);
        assert_eq!(
            numbers(&day),
            [
                ("03-3268-3111 (内線40752～40754)", false),
                ("03-3268-3111 (内線21040、21043)", false)
            ]
        );
        // At night ATLA's own night number; the GSDF desk has none, so the fallback's.
        let night = route(&dir, Some(&fallback), &["陸上自衛隊", "防衛装備庁"], false);
        assert_eq!(
            numbers(&night),
            [("080-8420-0628", false), ("080-8420-0628", false)]
        );
    }

    #[test]
    fn an_unknown_contracting_organisation_goes_to_the_fallback_and_says_so() {
        let (dir, fallback) = directory();
        let r = route(&dir, Some(&fallback), &["どこか"], true);
        assert_eq!(numbers(&r), [("03-3268-3111 (内線35258、35242)", true)]);
        let none = route(&dir, Some(&fallback), &[], false);
        assert_eq!(numbers(&none), [("080-8420-0628", true)]);
    }
}
