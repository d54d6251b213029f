//! The planner walks every shipped procedure without a database: from the draft, every
//! action is asked of someone who holds its role where the case needs it, and each plan
//! the planner accepts is followed, until every state has been reached.

use std::collections::{BTreeSet, VecDeque};

use jiff::Zoned;
use mamori_domain::policy::{Actor, CaseFacts, Grant};
use mamori_library::form::Data;
use mamori_library::model::{Field, FieldType, Procedure, Transition};
use mamori_library::{Library, shipped};
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;

/// The organisations around a case: its own under a parent, one it contracts with, the
/// one that contractor engages, a prime (or none), the last resort.
fn world(subcontractor: bool) -> CaseFacts {
    let id = |n: u128| Uuid::from_u128(n);
    CaseFacts {
        ancestors: vec![id(1), id(2)],
        contracting: vec![id(3)],
        primes: if subcontractor { vec![id(4)] } else { vec![] },
        service: vec![id(5)],
        last_resort: vec![id(6)],
        relayed: vec![id(7)],
        passed_from: vec![],
        children: vec![id(8)],
        descendants: vec![id(8), id(9)],
        siblings: vec![id(10)],
        tree: vec![id(2), id(1), id(8), id(9), id(10)],
        // The register row a case may be about (a managed system), kept above the case.
        row: Some(id(11)),
        row_keeper: vec![id(2)],
        ..CaseFacts::default()
    }
}

/// Someone holding every role of `t`'s parties where the case needs them.
fn party_to(t: &Transition, facts: &CaseFacts) -> Actor {
    let grants =
        t.by.iter()
            .flat_map(|p| {
                facts.organisations(relation(p.of)).iter().map(|org| Grant {
                    role: p.role.value.clone(),
                    organisation: Some(*org),
                })
            })
            .collect();
    Actor {
        person: Uuid::from_u128(100),
        organisation: facts.ancestors[0],
        grants,
    }
}

/// A value a person could have typed in `f`, the `pick`th option where there is a choice.
fn sample(f: &Field, pick: usize) -> Option<Value> {
    let option = |n: usize| {
        f.options
            .get(n % f.options.len().max(1))
            .map(|o| Value::String(o.id.value.clone()))
    };
    if f.from_attachments {
        // Evidence is picked from the case's files.
        return Some(match f.kind {
            FieldType::MultiChoice => json!([FILE]),
            _ => json!(FILE),
        });
    }
    Some(match f.kind {
        FieldType::Text | FieldType::Person | FieldType::Organisation => json!("試験"),
        FieldType::Secret => json!("Shoki-Pass-2026"),
        FieldType::LongText => json!("試験の記載"),
        FieldType::Number => json!(f.min.unwrap_or(1.0).max(1.0) as i64),
        // Days ahead (a schedule) and behind (an erasure done); a moment behind (a
        // detection).
        FieldType::Date if pick < 2 => json!("2026-12-10"),
        FieldType::Date => json!("2026-11-20"),
        FieldType::Datetime => json!("2026-11-30T09:00"),
        FieldType::Choice => option(pick)?,
        FieldType::MultiChoice => Value::Array(vec![option(pick)?]),
        FieldType::YesNo => Value::Bool(f.must_confirm || pick.is_multiple_of(2)),
        FieldType::Contact => json!({
            "name": "防衛 太郎", "section": "情報保証課", "phone": "03-1234-5678",
            "email": "taro@example.jp",
        }),
        FieldType::Group => {
            let row: Data = f
                .fields
                .iter()
                .filter_map(|c| Some((c.id().to_owned(), sample(c, pick)?)))
                .collect();
            Value::Array(vec![Value::Object(row)])
        }
        FieldType::Computed | FieldType::Attachment => return None,
    })
}

fn filled(fields: &[Field], pick: usize) -> Data {
    fields
        .iter()
        .filter_map(|f| Some((f.id().to_owned(), sample(f, pick)?)))
        .collect()
}

/// Every register row a lookup could find, each column filled, or none at all.
fn rows_for(
    lib: &Library,
    wanted: Vec<(String, mamori_library::condition::Key)>,
    full: bool,
) -> Rows {
    if !full {
        return Rows::new();
    }
    wanted
        .into_iter()
        .map(|(register, key)| {
            let row: Data = lib.registers[&register]
                .columns
                .iter()
                .map(|c| (c.id().to_owned(), json!("記入済み")))
                .collect();
            ((register, key_text(&key)), row)
        })
        .collect()
}

/// Two moments: a weekday morning in office hours and the night after.
fn moments() -> [Zoned; 2] {
    [
        "2026-12-01T10:00:00+09:00[Asia/Tokyo]".parse().unwrap(),
        "2026-12-01T23:00:00+09:00[Asia/Tokyo]".parse().unwrap(),
    ]
}

/// No ballot counted in the states these tests reach.
static NO_MEMBERS: BTreeMap<String, usize> = BTreeMap::new();
/// Nobody named by a `person` field an exclusion reads.
static NO_SUBJECTS: BTreeMap<String, Uuid> = BTreeMap::new();

/// Whoever opened the cases on the walk: nobody who acts in them afterwards.
const APPLICANT: Uuid = Uuid::from_u128(99);

/// The file attached to every case on the walk.
const FILE: &str = "証跡.pdf";

/// A case on the walk.
#[derive(Clone)]
struct Step {
    /// Which of the drafts it started from.
    root: usize,
    state: String,
    data: Data,
    done: Vec<String>,
    routing: Routing,
    history: Vec<Taken>,
}

/// Walks `procedure` and returns the states reached, checking every plan on the way.
fn walk(lib: &Library, procedure: &Procedure) -> BTreeSet<String> {
    let organisation = Uuid::from_u128(1);
    let initial = procedure.initial_state().id.value.clone();
    let form = &lib.form_of(procedure).fields;
    let mut reached = BTreeSet::from([initial.clone()]);
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::new();
    for pick in 0..4 {
        let mut data = filled(form, pick);
        // A class above an axis's ceiling is refused as typed: the draft holds the ceiling.
        for axis in &lib.axes {
            let id = &axis.id.value;
            let rank = data
                .get(id)
                .and_then(Value::as_str)
                .and_then(|l| axis.rank(l));
            if let (Some(rank), Some(top), Some(ceiling)) =
                (rank, axis.ceiling_rank(), &axis.ceiling)
                && rank > top
            {
                data.insert(id.clone(), json!(ceiling.level.value));
            }
        }
        // A file attached for every attachment item, as the draft page would have.
        let attached = form
            .iter()
            .filter(|f| f.kind == FieldType::Attachment)
            .map(|f| (f.id().to_owned(), vec![FILE.to_owned()]))
            .collect();
        mamori_library::form::derive(form, &mut data, &attached);
        queue.push_back(Step {
            root: pick,
            state: initial.clone(),
            data,
            done: vec![],
            routing: Routing::default(),
            history: vec![],
        });
    }
    while let Some(step) = queue.pop_front() {
        // A case is known by its state, the actions taken in it however often, and the
        // decisions given towards an action several people take.
        let taken: BTreeSet<&String> = step.done.iter().collect();
        let pending = step
            .history
            .iter()
            .filter(|h| h.detail.decided && !h.detail.completes)
            .count();
        // Votes cast send a resolution one way or the other.
        let votes: Vec<&String> = step
            .history
            .iter()
            .filter_map(|h| h.detail.vote.as_ref())
            .take(2)
            .collect();
        if !seen.insert((
            step.root,
            step.state.clone(),
            format!("{taken:?}{votes:?}"),
            pending,
        )) {
            continue;
        }
        assert!(
            seen.len() < 20_000,
            "{}: the walk does not end",
            procedure.id()
        );
        for t in procedure.transitions_from(&step.state) {
            for (subcontractor, full, pick, now) in variants() {
                let mut facts = world(subcontractor);
                // Someone new at every step: an action several people take needs them.
                let person = Uuid::from_u128(100 + step.history.len() as u128);
                // Whoever acts for the row the case is about holds the role for that row.
                facts.row_holders.extend(
                    t.by.iter()
                        .filter(|p| p.of == mamori_library::model::Relation::CaseRow)
                        .map(|p| (p.role.value.clone(), person)),
                );
                let actor = Actor {
                    person,
                    ..party_to(t, &facts)
                };
                if actor.grants.is_empty() {
                    // Nobody could take it in this world (no prime to forward to).
                    continue;
                }
                let fields = filled(&t.fields, pick);
                let targets = [Uuid::from_u128(7)];
                let files = [FILE.to_owned()];
                let passing = world(false);
                let request = Request {
                    action: &t.action.value,
                    fields: &fields,
                    comment: "確認しました",
                    files: &files,
                    relay_targets: &targets,
                    passing_to: t.pass_on.then_some(&passing),
                    unavoidable: None,
                    emergency: None,
                    delegations: &[],
                    actor_name: "試験 太郎",
                };
                let none = Rows::new();
                let base = Standing {
                    lib,
                    procedure,
                    opened_by: APPLICANT,
                    history: &step.history,
                    state: &step.state,
                    data: &step.data,
                    done: &step.done,
                    routing: &step.routing,
                    facts: &facts,
                    rows: &none,
                    now: &now,
                    members: &NO_MEMBERS,
                    subjects: &NO_SUBJECTS,
                };
                let wanted = action_lookups(&base, &request);
                if wanted.is_empty() && !full {
                    continue;
                }
                let rows = rows_for(lib, wanted, full);
                let standing = Standing {
                    rows: &rows,
                    ..base
                };
                // Whoever holds no role of the action, nor the row's, is refused before anything else.
                let stranger = Actor {
                    person: Uuid::from_u128(999),
                    grants: vec![],
                    ..actor.clone()
                };
                assert_eq!(
                    decide(&standing, organisation, &stranger, &request).err(),
                    Some(Refusal::NotTheirs),
                    "{}: {} by a stranger",
                    procedure.id(),
                    t.action.value
                );
                match decide(&standing, organisation, &actor, &request) {
                    Ok(plan) => {
                        check_plan(procedure, t, &step, &plan);
                        // What the planner accepts, the case page offered to the same person.
                        assert!(
                            offers(&standing, &actor)
                                .iter()
                                .any(|o| o.transition.action.value == t.action.value),
                            "{}: {} accepted from {} but not offered",
                            procedure.id(),
                            t.action.value,
                            step.state
                        );
                        reached.insert(plan.to.clone());
                        let mut history = step.history.clone();
                        history.push(Taken {
                            seq: step.history.len() as i64 + 2,
                            at: now.timestamp(),
                            actor: Some(actor.person),
                            action: t.action.value.clone(),
                            from: Some(step.state.clone()),
                            to: Some(plan.to.clone()),
                            detail: plan.detail.clone(),
                        });
                        queue.push_back(Step {
                            root: step.root,
                            state: plan.to,
                            data: plan.data,
                            done: plan.done,
                            routing: plan.routing.unwrap_or(step.routing.clone()),
                            history,
                        });
                    }
                    Err(
                        r @ (Refusal::UnknownAction | Refusal::NotTheirs | Refusal::StateChanged),
                    ) => {
                        panic!(
                            "{}: {} from {}: {r:?}",
                            procedure.id(),
                            t.action.value,
                            step.state
                        )
                    }
                    // Refused for what was typed or what the case lacks yet: another
                    // variant or a later step takes it.
                    Err(_) => {}
                }
            }
        }
    }
    reached
}

fn variants() -> impl Iterator<Item = (bool, bool, usize, Zoned)> {
    let mut out = Vec::new();
    for subcontractor in [false, true] {
        for full in [true, false] {
            for pick in 0..4 {
                for now in moments() {
                    out.push((subcontractor, full, pick, now));
                }
            }
        }
    }
    out.into_iter()
}

/// What every plan must say: a state of the procedure (the same one for an action that
/// stays), this action done once more, the action's fields recorded, the end marked.
fn check_plan(procedure: &Procedure, t: &Transition, step: &Step, plan: &Plan) {
    let at = format!("{}: {} from {}", procedure.id(), t.action.value, step.state);
    assert!(
        procedure.state(&plan.to).is_some(),
        "{at}: unknown state {}",
        plan.to
    );
    if plan.detail.decided && !plan.detail.completes {
        assert_eq!(
            plan.done, step.done,
            "{at}: one decision of several is not the action"
        );
        assert_eq!(
            plan.to, step.state,
            "{at}: one decision of several moved the case"
        );
        return;
    }
    if t.stay {
        assert_eq!(plan.to, step.state, "{at}: an action that stays moved");
    } else {
        let resolved = t.resolves.iter().flat_map(|r| [&r.carried, &r.lost]);
        assert!(
            t.to.iter()
                .map(|b| &b.state)
                .chain(resolved)
                .any(|s| s.value == plan.to),
            "{at}: went to {}",
            plan.to
        );
    }
    assert_eq!(plan.done.len(), step.done.len() + 1, "{at}");
    assert_eq!(plan.done.last(), Some(&t.action.value), "{at}");
    for (k, v) in &plan.given {
        assert_eq!(plan.data.get(k), Some(v), "{at}: {k} not recorded");
    }
    assert_eq!(
        plan.closes,
        procedure.state(&plan.to).is_some_and(|s| s.terminal),
        "{at}"
    );
    assert_eq!(plan.comment, "確認しました", "{at}");
}

#[test]
fn every_shipped_procedure_and_the_duties_fixture_reach_every_state_without_a_database() {
    let mut libraries = shipped().expect("the shipped libraries load");
    libraries.push(duties());
    let mut unreached = Vec::new();
    for lib in &libraries {
        for procedure in lib.procedures.values() {
            let reached = walk(lib, procedure);
            for s in &procedure.states {
                if !reached.contains(&s.id.value) {
                    unreached.push(format!("{}/{}: {}", lib.id(), procedure.id(), s.id.value));
                }
            }
        }
    }
    assert!(
        unreached.is_empty(),
        "states no walk reached: {unreached:#?}"
    );
}

/// The incident report of a company with no prime, in its draft, as the walk starts it.
fn draft_report(lib: &Library) -> (&Procedure, Data) {
    let procedure = &lib.procedures["report"];
    let form = &lib.form_of(procedure).fields;
    let mut data = filled(form, 0);
    mamori_library::form::derive(form, &mut data, &Default::default());
    (procedure, data)
}

#[test]
fn a_refusal_names_the_first_thing_wrong_in_order_who_state_fields_requirements() {
    let libraries = shipped().unwrap();
    let lib = libraries
        .iter()
        .find(|l| l.id() == "mod-incident-report")
        .unwrap();
    let (procedure, data) = draft_report(lib);
    let facts = world(false);
    let rows = Rows::new();
    let [day, _] = moments();
    let routing = Routing::default();
    let standing = |state: &'static str| Standing {
        lib,
        procedure,
        opened_by: APPLICANT,
        history: &[],
        state,
        data: &data,
        done: &[],
        routing: &routing,
        facts: &facts,
        rows: &rows,
        now: &day,
        members: &NO_MEMBERS,
        subjects: &NO_SUBJECTS,
    };
    let empty = Data::new();
    let ask = |action: &'static str, comment: &'static str| Request {
        action,
        fields: &empty,
        comment,
        files: &[],
        relay_targets: &[],
        passing_to: None,
        unavoidable: None,
        emergency: None,
        delegations: &[],
        actor_name: "試験 太郎",
    };
    let t = procedure.transition("submit").unwrap();
    let reporter = party_to(t, &facts);
    let initial = procedure.initial_state().id.value.clone();
    let draft = Box::leak(initial.into_boxed_str());
    assert_eq!(
        decide(
            &standing(draft),
            Uuid::from_u128(1),
            &reporter,
            &ask("no_such_action", "")
        )
        .err(),
        Some(Refusal::UnknownAction)
    );
    // Someone holding the role in another organisation is nobody here.
    let elsewhere = Actor {
        grants: vec![Grant {
            role: t.by[0].role.value.clone(),
            organisation: Some(Uuid::from_u128(99)),
        }],
        ..reporter.clone()
    };
    assert_eq!(
        decide(
            &standing(draft),
            Uuid::from_u128(1),
            &elsewhere,
            &ask("submit", "")
        )
        .err(),
        Some(Refusal::NotTheirs)
    );
    let closed = procedure
        .states
        .iter()
        .find(|s| s.terminal)
        .map(|s| Box::leak(s.id.value.clone().into_boxed_str()) as &str)
        .unwrap();
    assert_eq!(
        decide(
            &standing(closed),
            Uuid::from_u128(1),
            &reporter,
            &ask("submit", "")
        )
        .err(),
        Some(Refusal::StateChanged)
    );
    let long = "あ".repeat(COMMENT_MAX + 1);
    let too_long = Request {
        comment: &long,
        ..ask("submit", "")
    };
    match decide(&standing(draft), Uuid::from_u128(1), &reporter, &too_long) {
        Err(Refusal::Invalid(found)) => assert!(
            found
                .iter()
                .any(|p| p.field == "comment" && p.code == "too_long"),
            "{found:?}"
        ),
        other => panic!("a long comment was not refused: {other:?}"),
    }
}

#[test]
fn the_planner_reads_no_clock_of_its_own() {
    let libraries = shipped().unwrap();
    let lib = libraries
        .iter()
        .find(|l| l.id() == "mod-incident-report")
        .unwrap();
    let (procedure, mut data) = draft_report(lib);
    // Detected at ten tonight: in the future at ten this morning, past by eleven tonight.
    data.insert("detected_at".into(), json!("2026-12-01T22:00"));
    let facts = world(false);
    let rows = Rows::new();
    let routing = Routing::default();
    let [day, night] = moments();
    let t = procedure.transition("submit").unwrap();
    let reporter = party_to(t, &facts);
    let empty = Data::new();
    let request = Request {
        action: "submit",
        fields: &empty,
        comment: "",
        files: &[],
        relay_targets: &[],
        passing_to: None,
        unavoidable: None,
        emergency: None,
        delegations: &[],
        actor_name: "試験 太郎",
    };
    let called = ["record_call".to_owned()];
    let at = |now| {
        let standing = Standing {
            lib,
            procedure,
            opened_by: APPLICANT,
            history: &[],
            state: &procedure.initial_state().id.value,
            data: &data,
            done: &called,
            routing: &routing,
            facts: &facts,
            rows: &rows,
            now,
            members: &NO_MEMBERS,
            subjects: &NO_SUBJECTS,
        };
        decide(&standing, Uuid::from_u128(1), &reporter, &request).map(|p| p.to)
    };
    match at(&day) {
        Err(Refusal::Unmet(messages)) => {
            assert_eq!(messages.len(), 1, "{messages:?}");
            assert!(
                messages[0].ja.contains("検知した日時が現在より後"),
                "{messages:?}"
            );
        }
        other => panic!("a detection in the future was accepted: {other:?}"),
    }
    assert!(at(&night).is_ok(), "{:?}", at(&night));
}

/// The test library of seed 004's world: software installation and system changes.
fn duties() -> Library {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/libraries/mod-duties");
    mamori_library::load_dir(&dir).unwrap_or_else(|p| panic!("{p:?}"))
}

fn person(n: u128, role: &str, org: Uuid) -> Actor {
    Actor {
        person: Uuid::from_u128(n),
        organisation: org,
        grants: vec![Grant {
            role: role.into(),
            organisation: Some(org),
        }],
    }
}

/// A history entry of `actor` taking `action` from `from` to `to`.
fn entry(actor: &Actor, action: &str, from: &str, to: &str, detail: Detail) -> Taken {
    Taken {
        seq: 1,
        at: jiff::Timestamp::UNIX_EPOCH,
        actor: Some(actor.person),
        action: action.into(),
        from: Some(from.into()),
        to: Some(to.into()),
        detail,
    }
}

fn ask<'a>(action: &'a str, reason: Option<&'a str>, empty: &'a Data) -> Request<'a> {
    Request {
        action,
        fields: empty,
        comment: "",
        files: &[],
        relay_targets: &[],
        passing_to: None,
        unavoidable: reason,
        emergency: None,
        delegations: &[],
        actor_name: "試験 太郎",
    }
}

#[test]
fn a_joint_permission_counts_once_every_party_has_given_it_each_by_a_different_person() {
    let lib = duties();
    let procedure = &lib.procedures["software"];
    let facts = world(false);
    let (division, city) = (facts.ancestors[0], facts.ancestors[1]);
    let staff = person(1, "staff", division);
    let lead = person(2, "security_lead", city);
    let manager = person(3, "system_manager", city);
    // One person holding both roles is still one person.
    let both = Actor {
        grants: [lead.grants.clone(), manager.grants.clone()].concat(),
        ..person(4, "staff", city)
    };
    let data = filled(&lib.form_of(procedure).fields, 0);
    let rows = Rows::new();
    let routing = Routing::default();
    let [now, _] = moments();
    let empty = Data::new();
    let mut history = vec![entry(
        &staff,
        "submit",
        "draft",
        "review",
        Detail::default(),
    )];
    let standing = |history: &'static [Taken]| Standing {
        lib: &lib,
        procedure,
        opened_by: staff.person,
        history,
        state: "review",
        data: &data,
        done: &[],
        routing: &routing,
        facts: &facts,
        rows: &rows,
        now: &now,
        members: &NO_MEMBERS,
        subjects: &NO_SUBJECTS,
    };
    let leak = |h: &Vec<Taken>| -> &'static [Taken] { Box::leak(h.clone().into_boxed_slice()) };

    let s = standing(leak(&history));
    assert_eq!(
        waits(&s),
        [
            ("security_lead".to_owned(), division, None),
            ("security_lead".to_owned(), city, None),
            ("system_manager".to_owned(), division, None),
            ("system_manager".to_owned(), city, None),
        ]
    );
    let first = decide(&s, division, &lead, &ask("permit", None, &empty)).unwrap();
    assert_eq!(first.to, "review", "one permission of two");
    assert_eq!(first.done, Vec::<String>::new(), "not taken yet");
    assert_eq!(
        first.detail,
        Detail {
            party: Some(0),
            decided: true,
            ..Detail::default()
        }
    );
    history.push(entry(&lead, "permit", "review", "review", first.detail));
    let s = standing(leak(&history));
    // Only the system manager is waited on now; the lead cannot give the second part.
    assert!(
        waits(&s)
            .iter()
            .all(|(role, _, _)| role == "system_manager"),
        "{:?}",
        waits(&s)
    );
    assert_eq!(
        decide(&s, division, &lead, &ask("permit", None, &empty)).err(),
        Some(Refusal::AlreadyDecided)
    );
    let offered = offers(&s, &lead);
    let permit = offered
        .iter()
        .find(|o| o.transition.action.value == "permit")
        .unwrap();
    assert_eq!(permit.tally, Some((1, 2)));
    assert!(
        !permit.unmet.is_empty(),
        "the lead sees why they cannot permit again"
    );
    let second = decide(&s, division, &both, &ask("permit", None, &empty)).unwrap();
    assert_eq!(second.to, "permitted");
    assert_eq!(second.detail.party, Some(1), "the part still open");
    assert!(second.detail.completes);
    assert_eq!(second.done, ["permit"]);
    assert!(second.notices.applicant);

    // A state entered afresh starts the count again.
    history.push(entry(
        &manager,
        "refuse",
        "review",
        "refused",
        Detail::default(),
    ));
    history.push(entry(
        &staff,
        "submit",
        "draft",
        "review",
        Detail::default(),
    ));
    let s = standing(leak(&history));
    let again = offers(&s, &lead);
    assert_eq!(
        again
            .iter()
            .find(|o| o.transition.action.value == "permit")
            .unwrap()
            .tally,
        Some((0, 2))
    );
}

#[test]
fn the_applicant_is_excluded_and_only_a_reason_lets_them_where_the_library_allows() {
    let lib = duties();
    let procedure = &lib.procedures["software"];
    let facts = world(false);
    let city = facts.ancestors[1];
    let manager = person(3, "system_manager", city);
    let data = filled(&lib.form_of(procedure).fields, 0);
    let rows = Rows::new();
    let routing = Routing::default();
    let [now, _] = moments();
    let empty = Data::new();
    let history = [entry(
        &manager,
        "submit",
        "draft",
        "review",
        Detail::default(),
    )];
    let s = Standing {
        lib: &lib,
        procedure,
        opened_by: manager.person,
        history: &history,
        state: "review",
        data: &data,
        done: &[],
        routing: &routing,
        facts: &facts,
        rows: &rows,
        now: &now,
        members: &NO_MEMBERS,
        subjects: &NO_SUBJECTS,
    };
    let org = facts.ancestors[0];
    assert_eq!(
        decide(&s, org, &manager, &ask("permit", None, &empty)).err(),
        Some(Refusal::Excluded { unavoidable: true })
    );
    assert_eq!(
        decide(&s, org, &manager, &ask("permit", Some("  "), &empty)).err(),
        Some(Refusal::Excluded { unavoidable: true })
    );
    assert_eq!(
        decide(&s, org, &manager, &ask("refuse", Some("理由"), &empty)).err(),
        Some(Refusal::Excluded { unavoidable: false }),
        "refusing has no exception"
    );
    let long = "あ".repeat(COMMENT_MAX + 1);
    assert!(matches!(
        decide(&s, org, &manager, &ask("permit", Some(&long), &empty)),
        Err(Refusal::Invalid(_))
    ));
    let plan = decide(
        &s,
        org,
        &manager,
        &ask("permit", Some(" 不在のため "), &empty),
    )
    .unwrap();
    assert_eq!(plan.detail.unavoidable.as_deref(), Some("不在のため"));
    assert_eq!(plan.overseers.len(), 1);
    assert_eq!(plan.overseers[0].role.value, "ciso");
    let offered = offers(&s, &manager);
    let permit = offered
        .iter()
        .find(|o| o.transition.action.value == "permit")
        .unwrap();
    assert!(permit.unavoidable);
    let refuse = offered
        .iter()
        .find(|o| o.transition.action.value == "refuse")
        .unwrap();
    assert!(!refuse.unavoidable);
    assert!(
        !refuse.unmet.is_empty(),
        "the page says why the applicant cannot refuse"
    );
}

#[test]
fn two_person_work_counts_the_second_different_person() {
    let lib = duties();
    let procedure = &lib.procedures["change"];
    let facts = world(false);
    let city = facts.ancestors[1];
    let (one, two) = (
        person(3, "system_manager", city),
        person(4, "system_manager", city),
    );
    let data = filled(&lib.form_of(procedure).fields, 0);
    let rows = Rows::new();
    let routing = Routing::default();
    let [now, _] = moments();
    let empty = Data::new();
    let mut history = vec![entry(
        &one,
        "submit",
        "draft",
        "checking",
        Detail::default(),
    )];
    let plan = {
        let s = Standing {
            lib: &lib,
            procedure,
            opened_by: one.person,
            history: &history,
            state: "checking",
            data: &data,
            done: &[],
            routing: &routing,
            facts: &facts,
            rows: &rows,
            now: &now,
            members: &NO_MEMBERS,
            subjects: &NO_SUBJECTS,
        };
        decide(&s, facts.ancestors[0], &one, &ask("confirm", None, &empty)).unwrap()
    };
    assert_eq!(plan.to, "checking");
    assert_eq!(plan.detail.party, None, "any of the parties, not each");
    history.push(entry(&one, "confirm", "checking", "checking", plan.detail));
    let s = Standing {
        lib: &lib,
        procedure,
        opened_by: one.person,
        history: &history,
        state: "checking",
        data: &data,
        done: &[],
        routing: &routing,
        facts: &facts,
        rows: &rows,
        now: &now,
        members: &NO_MEMBERS,
        subjects: &NO_SUBJECTS,
    };
    assert_eq!(
        decide(&s, facts.ancestors[0], &one, &ask("confirm", None, &empty)).err(),
        Some(Refusal::AlreadyDecided)
    );
    let plan = decide(&s, facts.ancestors[0], &two, &ask("confirm", None, &empty)).unwrap();
    assert_eq!(plan.to, "confirmed");
    assert!(plan.closes);
}

#[test]
fn an_emergency_acts_before_the_permission_and_waits_on_its_ratifier_until_one_decides() {
    let lib = duties();
    let procedure = &lib.procedures["exception"];
    let facts = world(false);
    let city = facts.ancestors[1];
    let manager = person(3, "system_manager", city);
    let ciso = person(5, "ciso", city);
    let data = filled(&lib.form_of(procedure).fields, 0);
    let rows = Rows::new();
    let routing = Routing::default();
    let [now, _] = moments();
    let empty = Data::new();
    let mut history = vec![entry(
        &manager,
        "submit",
        "draft",
        "requested",
        Detail::default(),
    )];
    let standing = |history: &'static [Taken], state: &'static str| Standing {
        lib: &lib,
        procedure,
        opened_by: manager.person,
        history,
        state,
        data: &data,
        done: &[],
        routing: &routing,
        facts: &facts,
        rows: &rows,
        now: &now,
        members: &NO_MEMBERS,
        subjects: &NO_SUBJECTS,
    };
    let leak = |h: &Vec<Taken>| -> &'static [Taken] { Box::leak(h.clone().into_boxed_slice()) };
    let s = standing(leak(&history), "requested");
    let org = facts.ancestors[0];
    assert!(matches!(
        decide(&s, org, &manager, &ask("take_measure", None, &empty)),
        Err(Refusal::Unmet(_))
    ));
    let offered = offers(&s, &manager);
    assert!(
        offered
            .iter()
            .find(|o| o.transition.action.value == "take_measure")
            .unwrap()
            .emergency
    );
    let mut urgent = ask("take_measure", None, &empty);
    urgent.emergency = Some(" 停電のため ");
    let plan = decide(&s, org, &manager, &urgent).unwrap();
    assert_eq!(plan.to, "in_effect");
    assert_eq!(plan.detail.emergency.as_deref(), Some("停電のため"));
    assert_eq!(plan.ratifiers[0].role.value, "ciso");
    // No emergency path: refused as such.
    let mut wrong = ask("permit", None, &empty);
    wrong.emergency = Some("急ぎ");
    assert_eq!(
        decide(&s, org, &ciso, &wrong).err(),
        Some(Refusal::NoEmergencyPath)
    );

    let mut taken = entry(
        &manager,
        "take_measure",
        "requested",
        "in_effect",
        plan.detail,
    );
    taken.seq = 2;
    history.push(taken);
    let s = standing(leak(&history), "in_effect");
    assert!(
        waits(&s).iter().any(|(role, _, _)| role == "ciso"),
        "it waits on the CISO: {:?}",
        waits(&s)
    );
    assert_eq!(
        ratify(&s, &manager, 2, true).err(),
        Some(Refusal::NotTheirs)
    );
    assert_eq!(
        ratify(&s, &ciso, 1, true).err(),
        Some(Refusal::NoSuchEmergency)
    );
    let (_, detail) = ratify(&s, &ciso, 2, false).unwrap();
    assert_eq!(detail.ratifies, Some(2));
    assert!(detail.rejected);
    let mut decided = entry(&ciso, "emergency.reject", "in_effect", "in_effect", detail);
    decided.seq = 3;
    history.push(decided);
    let s = standing(leak(&history), "in_effect");
    assert!(pending_emergencies(procedure, s.history).is_empty());
    assert!(!waits(&s).iter().any(|(role, _, _)| role == "ciso"));
}
