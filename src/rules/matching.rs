//! Line matching: which catalog item an order line means.
//!
//! In order, and only these three count as a match:
//! 1. **exact**: the printed `sku` is a catalog SKU;
//! 2. **crossref**: the customer's cross-reference knows the printed `sku` or `customer_part`
//!    (as printed, then normalised);
//! 3. **normalised**: the printed `sku` equals exactly one catalog SKU after
//!    [`normalize_code`] (case, spaces, dashes, dots, leading zeros).
//!
//! Otherwise the line is unknown, and a *suggestion* may be attached for the reviewer:
//! the closest code by edit distance (a trigram index finds the candidates, so a big catalog is
//! not scanned), else the most similar description (token index, idf-weighted Dice score).
//! A suggestion never makes a line match.

use super::text::{desc_tokens, normalize_code, str_distance_within, Myers};
use super::RulesConfig;
use crate::domain::{LineItem, MatchKind, Suggestion};
use crate::master::{code_grams, CatalogItem, ItemId, MasterData};

/// How one line was matched.
#[derive(Debug, Clone, PartialEq)]
pub struct LineOutcome<'m> {
    pub item: Option<&'m CatalogItem>,
    pub kind: MatchKind,
    /// For an unknown line: the reviewer's best guess.
    pub suggestion: Option<Suggestion>,
}

/// Scratch space reused across the lines of one order (avoids a 100k-entry allocation per
/// line for description scores).
pub struct Scratch {
    scores: Vec<f32>,
    touched: Vec<ItemId>,
    /// Per item, the stamp of the last code search that visited it.
    seen: Vec<u32>,
    stamp: u32,
}

impl Scratch {
    /// Empty; grows to the catalog size only when suggestions are needed.
    pub fn new() -> Scratch {
        Scratch {
            scores: Vec::new(),
            touched: Vec::new(),
            seen: Vec::new(),
            stamp: 0,
        }
    }

    fn next_stamp(&mut self, n: usize) {
        if self.seen.len() != n || self.stamp == u32::MAX {
            self.seen = vec![0; n];
            self.stamp = 0;
        }
        self.stamp += 1;
    }

    /// True the first time `id` is visited since `next_stamp`.
    fn first_visit(&mut self, id: ItemId) -> bool {
        match self.seen.get_mut(id as usize) {
            Some(s) if *s != self.stamp => {
                *s = self.stamp;
                true
            }
            _ => false,
        }
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

fn text(f: &Option<crate::domain::Field<String>>) -> Option<&str> {
    f.as_ref().map(|f| f.value.trim()).filter(|s| !s.is_empty())
}

/// Match one line (see the module docs for the order).
pub fn match_line<'m>(
    line: &LineItem,
    customer_id: Option<&str>,
    master: &'m MasterData,
    cfg: &RulesConfig,
    scratch: &mut Scratch,
) -> LineOutcome<'m> {
    let sku = text(&line.sku);
    let part = text(&line.customer_part);
    let hit = |item, kind| LineOutcome {
        item: Some(item),
        kind,
        suggestion: None,
    };
    if let Some(item) = sku.and_then(|s| master.item(s)) {
        return hit(item, MatchKind::Exact);
    }
    if let Some(c) = customer_id {
        for printed in [sku, part].into_iter().flatten() {
            if let Some(item) = master.crossref(c, printed).and_then(|s| master.item(s)) {
                return hit(item, MatchKind::Crossref);
            }
        }
    }
    let mut ambiguous: Option<Suggestion> = None;
    if let Some(s) = sku {
        let norm = normalize_code(s);
        match master.by_norm.get(&norm).map(Vec::as_slice) {
            Some([one]) => return hit(&master.items[*one as usize], MatchKind::Normalised),
            Some([first, rest @ ..]) => {
                let mut names: Vec<&str> = std::iter::once(first)
                    .chain(rest)
                    .map(|&i| master.items[i as usize].sku.as_str())
                    .collect();
                names.sort_unstable();
                ambiguous = Some(Suggestion {
                    field: "sku".into(),
                    value: names[0].to_string(),
                    label: format!(
                        "'{s}' matches several SKUs when normalised: {}",
                        names.join(", ")
                    ),
                });
            }
            _ => {}
        }
    }
    let suggestion = ambiguous.or_else(|| suggest(sku, part, line, master, cfg, scratch));
    LineOutcome {
        item: None,
        kind: MatchKind::None,
        suggestion,
    }
}

/// The reviewer's best guess for an unknown line: closest code, else closest description.
fn suggest(
    sku: Option<&str>,
    part: Option<&str>,
    line: &LineItem,
    master: &MasterData,
    cfg: &RulesConfig,
    scratch: &mut Scratch,
) -> Option<Suggestion> {
    let mut best: Option<(usize, ItemId, &str)> = None;
    for printed in [sku, part].into_iter().flatten() {
        if let Some((d, id)) =
            closest_code(printed, master, cfg.suggest_max_edits as usize, scratch)
        {
            if best.is_none_or(|(bd, bid, _)| (d, id) < (bd, bid)) {
                best = Some((d, id, printed));
            }
        }
    }
    let desc = text(&line.description);
    if let Some((d, id, printed)) = best {
        let item = &master.items[id as usize];
        let mut label = format!(
            "closest code to '{printed}' ({d} edit{} away): {} {}",
            if d == 1 { "" } else { "s" },
            item.sku,
            item.description
        );
        // Only this item's description is scored: no search needed.
        if desc.is_some_and(|q| {
            f64::from(description_score(q, id, master)) >= cfg.description_min_similarity
        }) {
            label.push_str("; the description matches too");
        }
        return Some(Suggestion {
            field: "sku".into(),
            value: item.sku.clone(),
            label,
        });
    }
    let by_desc = desc.and_then(|d| {
        closest_description(d, master, scratch)
            .filter(|(score, _)| f64::from(*score) >= cfg.description_min_similarity)
    });
    by_desc.map(|(score, id)| {
        let item = &master.items[id as usize];
        Suggestion {
            field: "sku".into(),
            value: item.sku.clone(),
            label: format!(
                "description similar to '{}' (score {score:.2}): {}",
                item.description, item.sku
            ),
        }
    })
}

/// The catalog item whose normalised code is closest to `printed` within `max_edits`
/// (fewer for short codes: a quarter of the length, at least 1). Ties go to the lower id.
///
/// Candidates come from the trigram index: an edit changes at most 3 of a code's padded
/// trigrams, so a code within `k` edits shares at least one of any `3k + 1` distinct trigrams
/// of the query. Taking the `3k + 1` rarest ones keeps the candidate set small, and each
/// candidate is verified with a bit-parallel edit distance. `k = 1` is tried first (the
/// usual typo) and widened only when it finds nothing.
pub fn closest_code(
    printed: &str,
    master: &MasterData,
    max_edits: usize,
    scratch: &mut Scratch,
) -> Option<(usize, ItemId)> {
    let norm = normalize_code(printed);
    let k_max = max_edits.min((norm.chars().count() / 4).max(1));
    if norm.is_empty() || k_max == 0 {
        return None;
    }
    let query_grams = code_grams(&norm);
    let distinct = query_grams.len();
    let mut grams: Vec<&Vec<ItemId>> = query_grams
        .iter()
        .filter_map(|g| master.code_grams.get(g))
        .collect();
    // Grams of the query absent from the index are the rarest of all (no postings): they
    // use up slots of the 3k + 1 without adding candidates.
    let absent = distinct - grams.len();
    grams.sort_unstable_by_key(|p| p.len());
    let myers = Myers::new(&norm);
    let qlen = norm.len();
    for k in 1..=k_max {
        let needed = 3 * k + 1;
        if distinct < needed {
            // Too short for the filter to be sound (a candidate might share no gram); such
            // short codes are not worth guessing at.
            break;
        }
        if absent >= needed {
            continue;
        }
        scratch.next_stamp(master.items.len());
        let mut best: Option<(usize, ItemId)> = None;
        for posting in grams.iter().take(needed - absent) {
            for &id in posting.iter() {
                if !scratch.first_visit(id) {
                    continue;
                }
                let cand = &master.norm_codes[id as usize];
                if cand.len().abs_diff(qlen) > k {
                    continue;
                }
                let d = match &myers {
                    Some(m) => Some(m.distance(cand.as_bytes())).filter(|d| *d <= k),
                    None => str_distance_within(&norm, cand, k),
                };
                if let Some(d) = d {
                    if best.is_none_or(|(bd, bid)| (d, id) < (bd, bid)) {
                        best = Some((d, id));
                    }
                }
            }
        }
        if best.is_some() {
            return best;
        }
    }
    None
}

/// Postings longer than this fraction of the catalog are not walked (the token says little);
/// such tokens still count for the candidates found through rarer ones.
const COMMON_TOKEN_FRACTION: usize = 8;

/// The catalog item whose description is most similar to `desc`: idf-weighted Dice over
/// distinct tokens, `2 * shared / (query + item)`, in 0..=1.
pub fn closest_description(
    desc: &str,
    master: &MasterData,
    scratch: &mut Scratch,
) -> Option<(f32, ItemId)> {
    let n = master.items.len();
    if n == 0 {
        return None;
    }
    let mut q: Vec<String> = desc_tokens(desc);
    q.sort_unstable();
    q.dedup();
    let unknown_idf = (1.0 + n as f32).ln();
    let mut q_weight = 0.0f32;
    let mut rare: Vec<u32> = Vec::new();
    let mut common: Vec<u32> = Vec::new();
    let limit = (n / COMMON_TOKEN_FRACTION).max(50);
    for t in &q {
        match master.token_ids.get(t) {
            Some(&id) => {
                q_weight += master.token_idf[id as usize];
                if master.token_postings[id as usize].len() > limit {
                    common.push(id);
                } else {
                    rare.push(id);
                }
            }
            None => q_weight += unknown_idf,
        }
    }
    if rare.is_empty() {
        return None;
    }
    if scratch.scores.len() != n {
        scratch.scores = vec![0.0; n];
    }
    scratch.touched.clear();
    for &t in &rare {
        let idf = master.token_idf[t as usize];
        for &id in &master.token_postings[t as usize] {
            let s = &mut scratch.scores[id as usize];
            if *s == 0.0 {
                scratch.touched.push(id);
            }
            *s += idf;
        }
    }
    let mut best: Option<(f32, ItemId)> = None;
    for &id in &scratch.touched {
        let mut shared = scratch.scores[id as usize];
        scratch.scores[id as usize] = 0.0;
        let toks = &master.item_tokens[id as usize];
        for &t in &common {
            if toks.binary_search(&t).is_ok() {
                shared += master.token_idf[t as usize];
            }
        }
        let denom = q_weight + master.item_weight[id as usize];
        if denom <= 0.0 {
            continue;
        }
        let score = 2.0 * shared / denom;
        if best.is_none_or(|(bs, bid)| score > bs || (score == bs && id < bid)) {
            best = Some((score, id));
        }
    }
    scratch.touched.clear();
    best
}

/// The similarity (same measure as [`closest_description`]) of `desc` to one item.
pub fn description_score(desc: &str, id: ItemId, master: &MasterData) -> f32 {
    let (Some(toks), Some(weight)) = (
        master.item_tokens.get(id as usize),
        master.item_weight.get(id as usize),
    ) else {
        return 0.0;
    };
    let mut q: Vec<String> = desc_tokens(desc);
    q.sort_unstable();
    q.dedup();
    let unknown_idf = (1.0 + master.items.len() as f32).ln();
    let (mut q_weight, mut shared) = (0.0f32, 0.0f32);
    for t in &q {
        match master.token_ids.get(t) {
            Some(&tid) => {
                let idf = master.token_idf[tid as usize];
                q_weight += idf;
                if toks.binary_search(&tid).is_ok() {
                    shared += idf;
                }
            }
            None => q_weight += unknown_idf,
        }
    }
    let denom = q_weight + weight;
    if denom <= 0.0 {
        0.0
    } else {
        2.0 * shared / denom
    }
}
