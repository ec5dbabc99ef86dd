//! The keyset cursor against a simulated listing that changes between pages: many
//! records share a second (one second holds several pages), records are changed
//! (moved to the current, latest second) and created while a pass pages, ties within
//! a second come back in any order. For every tie-break the kit offers, over many
//! seeds, a pass must return every record it did not change, every record it started
//! with at least once, and each record's latest version in the pass or in the next
//! incremental one (from the second the pass started, as the engine's watermark does);
//! a pass nothing changes under returns each record exactly once.
//! The page-number-within-a-second cursor the kit replaces fails the same check (it
//! skips a record when one of an already-read page of its second changes).

use std::collections::{BTreeMap, HashMap, HashSet};

use polycart_kit::paging::keyset::KeysetStep;
use polycart_kit::paging::{
    Bound, DateFormat, Key, KeyFields, Keyset, PageRequest, Position, TieBreak, WindowBy,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// The platform's largest page.
const MAX: u32 = 40;

#[derive(Debug, Clone, Copy)]
struct Rec {
    id: u64,
    second: i64,
    version: u32,
}

/// A listing that answers the parameters a [`Keyset`] sends (and page numbers).
struct Platform {
    records: BTreeMap<u64, Rec>,
    next_id: u64,
    /// The platform's clock, in seconds: changes and creations happen at it.
    now: i64,
    /// Records of one second come back in a random order unless sorted by id.
    shuffle_ties: bool,
    rng: StdRng,
}

fn param<'a>(r: &'a PageRequest, name: &str) -> Option<&'a str> {
    r.query
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn num(r: &PageRequest, name: &str) -> Option<i64> {
    param(r, name).map(|v| v.parse().expect("a number"))
}

impl Platform {
    fn new(rng: &mut StdRng, page: u32, shuffle_ties: bool) -> Self {
        let mut records = BTreeMap::new();
        let count = rng.gen_range(20..120u64);
        for id in 1..=count {
            let second = rng.gen_range(0..12);
            records.insert(
                id,
                Rec {
                    id,
                    second,
                    version: 0,
                },
            );
        }
        // One second holding several pages.
        let hot = rng.gen_range(0..12);
        let crowd = u64::from(page) * rng.gen_range(2..5) + rng.gen_range(0..3);
        for id in count + 1..=count + crowd {
            records.insert(
                id,
                Rec {
                    id,
                    second: hot,
                    version: 0,
                },
            );
        }
        let now = records.values().map(|r| r.second).max().unwrap_or(0);
        Self {
            next_id: count + crowd + 1,
            records,
            now,
            shuffle_ties,
            rng: StdRng::seed_from_u64(rng.r#gen()),
        }
    }

    /// Answers a request: bounds, exclusions, id filter, order, window, limit.
    fn list(&mut self, ks: &Keyset, r: &PageRequest) -> Vec<Rec> {
        let bound = |b: Bound| -> Option<(i64, bool)> {
            let (name, inclusive) = match b {
                Bound::Inclusive(n) => (n, true),
                Bound::Exclusive(n) => (n, false),
            };
            num(r, name).map(|v| (v, inclusive))
        };
        let lower = bound(ks.since);
        let upper = bound(ks.until);
        let excluded: HashSet<u64> = ks
            .exclude
            .and_then(|p| param(r, p))
            .map(|v| v.split(',').map(|i| i.parse().expect("an id")).collect())
            .unwrap_or_default();
        let id_floor = match ks.tie {
            TieBreak::IdAbove {
                param, inclusive, ..
            } => num(r, param).map(|v| if inclusive { v } else { v + 1 }),
            TieBreak::Window { .. } => None,
        };
        let mut rows: Vec<Rec> = self
            .records
            .values()
            .copied()
            .filter(|x| {
                lower.is_none_or(|(v, inc)| if inc { x.second >= v } else { x.second > v })
                    && upper.is_none_or(|(v, inc)| if inc { x.second <= v } else { x.second < v })
                    && !excluded.contains(&x.id)
                    && id_floor.is_none_or(|f| x.id as i64 >= f)
            })
            .collect();
        if param(r, "orderby") == Some("id") {
            rows.sort_by_key(|x| x.id);
        } else {
            if self.shuffle_ties {
                rows.shuffle(&mut self.rng);
            }
            rows.sort_by_key(|x| x.second); // stable: ties keep the shuffled order
        }
        let limit = num(r, ks.limit).expect("a page size") as usize;
        assert!(limit as u32 <= MAX.max(2), "asked for {limit} records");
        let skip = match (num(r, "offset"), num(r, "page")) {
            (Some(o), _) => o as usize,
            (None, Some(p)) => (p as usize - 1) * limit,
            (None, None) => 0,
        };
        rows.into_iter().skip(skip).take(limit).collect()
    }

    /// What happens between two pages: some records change (to the current second),
    /// some are created, and the clock may move on.
    fn churn(&mut self, rng: &mut StdRng) {
        for _ in 0..rng.gen_range(0..3) {
            let ids: Vec<u64> = self.records.keys().copied().collect();
            let id = ids[rng.gen_range(0..ids.len())];
            let now = self.now;
            let r = self.records.get_mut(&id).expect("listed");
            r.second = now;
            r.version += 1;
        }
        if rng.gen_bool(0.3) {
            let id = self.next_id;
            self.next_id += 1;
            self.records.insert(
                id,
                Rec {
                    id,
                    second: self.now,
                    version: 0,
                },
            );
        }
        if rng.gen_bool(0.3) {
            self.now += 1;
        }
    }
}

/// A cursor stepping through a listing: the kit's keyset, or the one it replaces.
trait Stepper {
    type At: Clone;
    fn request(&self, since: Option<i64>, at: Option<&Self::At>, limit: u32) -> PageRequest;
    fn step(
        &self,
        at: Option<&Self::At>,
        limit: u32,
        keys: &[Key],
    ) -> (Vec<bool>, Option<Self::At>);
}

impl Stepper for Keyset {
    type At = Position;
    fn request(&self, since: Option<i64>, at: Option<&Position>, limit: u32) -> PageRequest {
        let since = since.map(|s| chrono::DateTime::from_timestamp(s, 0).expect("a time"));
        Keyset::request(self, since, at, limit, MAX)
    }
    fn step(
        &self,
        at: Option<&Position>,
        limit: u32,
        keys: &[Key],
    ) -> (Vec<bool>, Option<Position>) {
        // Every position goes through its cursor text, as between two runs.
        let at = at.map(|p| Position::read(Some(&p.encode())).unwrap().unwrap());
        let KeysetStep { keep, next } = Keyset::step(self, at.as_ref(), limit, MAX, keys).unwrap();
        (keep, next)
    }
}

/// The cursor WooCommerce and BigCommerce used before the kit's: the last second seen
/// and the ids returned in it, and a page full of one second paged on by page number.
struct PageWithinSecond(Keyset);

#[derive(Debug, Clone)]
struct OldPosition {
    after: Option<i64>,
    page: u32,
    seen: Vec<String>,
}

impl Stepper for PageWithinSecond {
    type At = OldPosition;
    fn request(&self, since: Option<i64>, at: Option<&OldPosition>, limit: u32) -> PageRequest {
        let mut r = PageRequest::default();
        let (after, page) = match at {
            Some(p) => (p.after, p.page),
            None => (since.map(|s| s - 1), 1),
        };
        r.query.push(("orderby".into(), "modified".into()));
        if let Some(a) = after {
            r.query.push(("after".into(), a.to_string()));
        }
        r.query.push(("page".into(), page.to_string()));
        r.query.push(("per_page".into(), limit.to_string()));
        r
    }
    fn step(
        &self,
        at: Option<&OldPosition>,
        limit: u32,
        keys: &[Key],
    ) -> (Vec<bool>, Option<OldPosition>) {
        let at = at.cloned().unwrap_or(OldPosition {
            after: None,
            page: 1,
            seen: Vec::new(),
        });
        let keep = keys.iter().map(|k| !at.seen.contains(&k.id)).collect();
        if keys.len() < limit as usize {
            return (keep, None);
        }
        let max = keys.iter().filter_map(|k| k.second).max().expect("dated");
        let next = if keys.iter().all(|k| k.second == Some(max)) && at.after == Some(max - 1) {
            OldPosition {
                page: at.page + 1,
                ..at
            }
        } else {
            OldPosition {
                after: Some(max - 1),
                page: 1,
                seen: keys
                    .iter()
                    .filter(|k| k.second == Some(max))
                    .map(|k| k.id.clone())
                    .collect(),
            }
        };
        (keep, Some(next))
    }
}

/// Pages the platform churns between, at most: a pass reading as fast as the platform
/// changes would never end (nor would a real one), so the changes stop after these.
const CHURNING_PAGES: usize = 200;

/// Reads a whole pass; between its first pages the platform churns (when `rng` is
/// given). Returns every `(id, version)` handed on.
fn pass<S: Stepper>(
    s: &S,
    ks: &Keyset,
    platform: &mut Platform,
    since: Option<i64>,
    limit: u32,
    mut rng: Option<&mut StdRng>,
) -> Vec<(u64, u32)> {
    let mut out = Vec::new();
    let mut at: Option<S::At> = None;
    for n in 0..10_000 {
        let request = s.request(since, at.as_ref(), limit);
        let page = platform.list(ks, &request);
        let keys: Vec<Key> = page
            .iter()
            .map(|r| Key::new(r.id.to_string(), Some(r.second)))
            .collect();
        let (keep, next) = s.step(at.as_ref(), limit, &keys);
        out.extend(
            page.iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(r, _)| (r.id, r.version)),
        );
        let Some(next) = next else {
            return out;
        };
        at = Some(next);
        if let Some(rng) = rng.as_deref_mut().filter(|_| n < CHURNING_PAGES) {
            platform.churn(rng);
        }
    }
    panic!("the pass did not end");
}

/// What a pass got wrong, if anything.
fn check<S: Stepper>(s: &S, ks: &Keyset, seed: u64, shuffle_ties: bool) -> Result<(), String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let limit = rng.gen_range(2..9);
    let mut platform = Platform::new(&mut rng, limit, shuffle_ties);
    let since = rng.gen_bool(0.3).then(|| rng.gen_range(0..8));
    let started = platform.now;
    let before: HashMap<u64, Rec> = platform.records.iter().map(|(k, v)| (*k, *v)).collect();
    let first = pass(s, ks, &mut platform, since, limit, Some(&mut rng));
    let returned: HashSet<(u64, u32)> = first.iter().copied().collect();
    let ids: HashSet<u64> = first.iter().map(|(id, _)| *id).collect();
    let wanted = |r: &Rec| since.is_none_or(|s| r.second >= s);
    for (id, old) in &before {
        let now = platform.records[id];
        if now.version == old.version && wanted(old) && !returned.contains(&(*id, old.version)) {
            return Err(format!(
                "unchanged record {id} (second {}) skipped",
                old.second
            ));
        }
        if wanted(old) && !ids.contains(id) {
            return Err(format!("record {id} never returned"));
        }
    }
    // The next incremental pass starts from the second this one started in.
    let next = pass(s, ks, &mut platform, Some(started), limit, None);
    let read: HashSet<(u64, u32)> = returned.into_iter().chain(next).collect();
    for r in platform.records.values() {
        if (wanted(r) || r.version > 0) && !read.contains(&(r.id, r.version)) {
            return Err(format!(
                "record {} version {} (second {}) never read",
                r.id, r.version, r.second
            ));
        }
    }
    Ok(())
}

fn keyset(since: Bound, until: Bound, exclude: Option<&'static str>, tie: TieBreak) -> Keyset {
    Keyset {
        since,
        until,
        format: DateFormat::UnixSeconds,
        sort: &[("orderby", "modified")],
        limit: "per_page",
        exclude,
        tie,
        keys: KeyFields {
            id: "id",
            modified: "modified",
        },
    }
}

const BY_ID: &[(&str, &str)] = &[("orderby", "id")];

/// Each tie-break the kit offers, spelled as the platforms that use it spell it.
fn strategies() -> Vec<(&'static str, Keyset)> {
    let inclusive = (
        Bound::Inclusive("min_modified"),
        Bound::Inclusive("max_modified"),
    );
    let exclusive = (Bound::Exclusive("after"), Bound::Exclusive("before"));
    vec![
        (
            "id at least (BigCommerce v2 min_id)",
            keyset(
                inclusive.0,
                inclusive.1,
                None,
                TieBreak::IdAbove {
                    param: "min_id",
                    inclusive: true,
                    sort: BY_ID,
                },
            ),
        ),
        (
            "id greater (BigCommerce v3 id:greater)",
            keyset(
                inclusive.0,
                inclusive.1,
                None,
                TieBreak::IdAbove {
                    param: "id_greater",
                    inclusive: false,
                    sort: BY_ID,
                },
            ),
        ),
        (
            "offset window, exclude (WooCommerce)",
            keyset(
                exclusive.0,
                exclusive.1,
                Some("exclude"),
                TieBreak::Window {
                    by: WindowBy::Offset("offset"),
                    sort: BY_ID,
                },
            ),
        ),
        (
            "page window (BigCommerce v3 customers)",
            keyset(
                inclusive.0,
                inclusive.1,
                None,
                TieBreak::Window {
                    by: WindowBy::Page("page"),
                    sort: BY_ID,
                },
            ),
        ),
    ]
}

#[test]
fn no_tie_break_skips_a_record_changed_mid_pass() {
    for (name, ks) in strategies() {
        for seed in 0..300 {
            for shuffle in [false, true] {
                if let Err(e) = check(&ks, &ks, seed, shuffle) {
                    panic!("{name}, seed {seed}, shuffled ties {shuffle}: {e}");
                }
            }
        }
    }
}

#[test]
fn a_quiet_pass_returns_each_record_once() {
    for (name, ks) in strategies() {
        for seed in 0..200 {
            for shuffle in [false, true] {
                let mut rng = StdRng::seed_from_u64(seed);
                let limit = rng.gen_range(1..9);
                let mut p = Platform::new(&mut rng, limit, shuffle);
                let mut got: Vec<u64> = pass(&ks, &ks, &mut p, None, limit, None)
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect();
                got.sort_unstable();
                let all: Vec<u64> = p.records.keys().copied().collect();
                assert_eq!(got, all, "{name}, seed {seed}, shuffled ties {shuffle}");
            }
        }
    }
}

#[test]
fn the_page_number_cursor_it_replaces_skips() {
    let old = PageWithinSecond(keyset(
        Bound::Exclusive("after"),
        Bound::Exclusive("before"),
        None,
        TieBreak::IdAbove {
            param: "unused",
            inclusive: false,
            sort: BY_ID,
        },
    ));
    // Ties in id order, as WooCommerce's simulator keeps them: only the changes break it.
    let failures: Vec<String> = (0..300)
        .filter_map(|seed| check(&old, &old.0, seed, false).err())
        .collect();
    assert!(
        failures.iter().any(|f| f.contains("skipped")),
        "the old cursor passed every seed: the check has no teeth"
    );
    // And without changes it is right, so the skips are the changes' doing.
    for seed in 0..50 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut p = Platform::new(&mut rng, 3, false);
        let all: HashSet<u64> = p.records.keys().copied().collect();
        let got: HashSet<u64> = pass(&old, &old.0, &mut p, None, 3, None)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(got, all, "seed {seed}");
    }
}

/// The case the old WooCommerce comment named, step by step: a second holding more
/// than a page, one record of an already-read page changed, the next page shifted.
#[test]
fn a_shifted_page_within_a_second() {
    let setup = || {
        let mut records = BTreeMap::new();
        for id in 1..=5 {
            records.insert(
                id,
                Rec {
                    id,
                    second: 10,
                    version: 0,
                },
            );
        }
        Platform {
            records,
            next_id: 6,
            now: 10,
            shuffle_ties: false,
            rng: StdRng::seed_from_u64(0),
        }
    };
    // Change record 1 (of the first page) to second 11 after the second request.
    fn read<S: Stepper>(s: &S, ks: &Keyset, mut p: Platform) -> Vec<u64> {
        let mut out = Vec::new();
        let mut at = None;
        for n in 0.. {
            let r = s.request(None, at.as_ref(), 2);
            let page = p.list(ks, &r);
            let keys: Vec<Key> = page
                .iter()
                .map(|r| Key::new(r.id.to_string(), Some(r.second)))
                .collect();
            let (keep, next) = s.step(at.as_ref(), 2, &keys);
            out.extend(page.iter().zip(keep).filter(|(_, k)| *k).map(|(r, _)| r.id));
            if n == 1 {
                let r = p.records.get_mut(&1).unwrap();
                r.second = 11;
                r.version = 1;
            }
            match next {
                Some(n) => at = Some(n),
                None => break,
            }
        }
        out
    }
    let ks = &strategies()[2].1;
    let old = PageWithinSecond(*ks);
    let before = read(&old, ks, setup());
    assert!(
        !before.contains(&3),
        "the old cursor skips record 3: {before:?}"
    );
    let now = read(ks, ks, setup());
    for id in 1..=5 {
        assert!(now.contains(&id), "record {id} read: {now:?}");
    }
}
