//! Similarity and formatting helpers for matching, customer resolution and messages:
//! email domains, edit distance, numbers in sentences. Pure functions, no state.
//!
//! The normalisers the master-data indexes are built with live in [`crate::master::text`];
//! they are re-exported here for the rules and for callers that name them by this path.

pub use crate::master::text::{canonical_currency, desc_tokens, normalize_code, normalize_name};

/// The domain of an email address or a `Name <address>` sender, lower case.
pub fn email_domain(sender: &str) -> Option<String> {
    let addr = match (sender.rfind('<'), sender.rfind('>')) {
        (Some(a), Some(b)) if a < b => &sender[a + 1..b],
        _ => sender,
    };
    let (_, domain) = addr.trim().rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.').to_lowercase();
    if domain.is_empty() || !domain.contains('.') {
        return None;
    }
    Some(domain)
}

/// A domain and its parents down to two labels: `a.mail.acme.com` -> `a.mail.acme.com`,
/// `mail.acme.com`, `acme.com`.
pub fn domain_and_parents(domain: &str) -> impl Iterator<Item = &str> {
    let labels = domain.matches('.').count() + 1;
    let mut rest = Some(domain);
    let mut left = labels.saturating_sub(1);
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let cur = rest?;
        left -= 1;
        rest = cur.split_once('.').map(|(_, r)| r);
        Some(cur)
    })
}

/// Levenshtein distance between `a` and `b` if it is at most `max`, else `None`.
/// O(len * (2*max+1)): only a band around the diagonal is computed.
pub fn levenshtein_within<T: PartialEq>(a: &[T], b: &[T], max: usize) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return None;
    }
    if n == 0 || m == 0 {
        return Some(n.max(m));
    }
    let big = max + 1;
    let mut prev: Vec<usize> = (0..=m).map(|j| if j <= max { j } else { big }).collect();
    let mut cur = vec![big; m + 1];
    for i in 1..=n {
        let lo = i.saturating_sub(max).max(1);
        let hi = (i + max).min(m);
        cur.iter_mut().for_each(|c| *c = big);
        cur[0] = if i <= max { i } else { big };
        let mut row_min = cur[0];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let v = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            cur[j] = v.min(big);
            row_min = row_min.min(cur[j]);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[m];
    (d <= max).then_some(d)
}

/// Levenshtein distance to one fixed ASCII pattern of at most 64 bytes, bit-parallel
/// (Myers 1999 / Hyyrö): O(len(text)) word operations per comparison, no allocation.
/// Build once per query, compare against many candidates.
pub struct Myers {
    peq: [u64; 256],
    len: usize,
}

impl Myers {
    /// `None` when the pattern is empty, not ASCII or longer than 64 bytes.
    pub fn new(pattern: &str) -> Option<Myers> {
        let bytes = pattern.as_bytes();
        if bytes.is_empty() || bytes.len() > 64 || !pattern.is_ascii() {
            return None;
        }
        let mut peq = [0u64; 256];
        for (i, &b) in bytes.iter().enumerate() {
            peq[b as usize] |= 1u64 << i;
        }
        Some(Myers {
            peq,
            len: bytes.len(),
        })
    }

    /// The edit distance between the pattern and `text`.
    pub fn distance(&self, text: &[u8]) -> usize {
        let m = self.len;
        let last = 1u64 << (m - 1);
        let mut pv = !0u64;
        let mut mv = 0u64;
        let mut score = m;
        for &c in text {
            let eq = self.peq[c as usize];
            let xv = eq | mv;
            let xh = ((eq & pv).wrapping_add(pv) ^ pv) | eq;
            let mut ph = mv | !(xh | pv);
            let mut mh = pv & xh;
            if ph & last != 0 {
                score += 1;
            } else if mh & last != 0 {
                score -= 1;
            }
            ph = (ph << 1) | 1;
            mh <<= 1;
            pv = mh | !(xv | ph);
            mv = ph & xv;
        }
        score
    }
}

/// Levenshtein distance on strings (bytes when both are ASCII, else chars), bounded.
pub fn str_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    if a.is_ascii() && b.is_ascii() {
        levenshtein_within(a.as_bytes(), b.as_bytes(), max)
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        levenshtein_within(&a, &b, max)
    }
}

/// Similarity 0..=1 of two strings: 1 - distance / longer length.
pub fn similarity(a: &str, b: &str) -> f64 {
    let la = a.chars().count();
    let lb = b.chars().count();
    let longer = la.max(lb);
    if longer == 0 {
        return 1.0;
    }
    match str_distance_within(a, b, longer) {
        Some(d) => 1.0 - d as f64 / longer as f64,
        None => 0.0,
    }
}

/// A number for a sentence: at least two decimals for money-like values, more only if needed.
pub fn fmt_money(v: f64) -> String {
    let s = format!("{v:.4}");
    let trimmed = s.trim_end_matches('0');
    let decimals = trimmed.split_once('.').map_or(0, |(_, d)| d.len());
    if decimals <= 2 {
        format!("{v:.2}")
    } else {
        trimmed.to_string()
    }
}

/// A quantity for a sentence: no decimals unless it has some.
pub fn fmt_qty(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(
            email_domain("Jane <Jane@Mail.Acme.com>").as_deref(),
            Some("mail.acme.com")
        );
        assert_eq!(email_domain("nobody"), None);
        let parents: Vec<&str> = domain_and_parents("a.mail.acme.com").collect();
        assert_eq!(parents, ["a.mail.acme.com", "mail.acme.com", "acme.com"]);
        assert_eq!(domain_and_parents("acme.com").count(), 1);
    }

    #[test]
    fn bounded_levenshtein() {
        assert_eq!(str_distance_within("kitten", "sitting", 3), Some(3));
        assert_eq!(str_distance_within("kitten", "sitting", 2), None);
        assert_eq!(str_distance_within("AB100", "AB100", 0), Some(0));
        assert_eq!(str_distance_within("AB100", "AB1000", 1), Some(1));
        assert_eq!(str_distance_within("", "ab", 2), Some(2));
        assert_eq!(str_distance_within("Stück", "Stuck", 1), Some(1));
    }

    #[test]
    fn myers_agrees_with_the_table() {
        let words = [
            "",
            "A",
            "AB",
            "AB100",
            "AB1000",
            "BA100",
            "AB10O",
            "XYZ",
            "AB-100-X",
            "ZZZZZZZZ",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01",
        ];
        for a in words {
            let Some(m) = Myers::new(a) else {
                assert!(a.is_empty());
                continue;
            };
            for b in words {
                let table = str_distance_within(a, b, 100).unwrap_or(usize::MAX);
                assert_eq!(m.distance(b.as_bytes()), table, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn numbers_format() {
        assert_eq!(fmt_money(9.8), "9.80");
        assert_eq!(fmt_money(0.125), "0.125");
        assert_eq!(fmt_qty(24.0), "24");
        assert_eq!(fmt_qty(2.5), "2.5");
    }
}
