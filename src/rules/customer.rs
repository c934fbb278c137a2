//! Which customer an order is from: the sender's email domain (or a parent domain), else the
//! buyer name on the document (normalised, or a reviewer's learned alias), else a fuzzy match
//! of the buyer name. An ambiguous name (two customers equally close) resolves to nobody.

use super::text::{domain_and_parents, email_domain, normalize_name, similarity};
use super::RulesConfig;
use crate::domain::Order;
use crate::master::MasterData;

/// How the customer was found.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomerMatch {
    /// The sender's domain (or a parent of it) is one of the customer's.
    Domain { customer: usize, domain: String },
    /// The normalised buyer name equals the customer's name or a learned alias.
    Name { customer: usize },
    /// The buyer name is close to the customer's name.
    FuzzyName { customer: usize, score: f64 },
    /// Nobody. `closest` is the best name below the threshold, for a suggestion.
    Unknown {
        domain: Option<String>,
        buyer: Option<String>,
        closest: Option<(usize, f64)>,
    },
}

impl CustomerMatch {
    pub fn index(&self) -> Option<usize> {
        match self {
            CustomerMatch::Domain { customer, .. }
            | CustomerMatch::Name { customer }
            | CustomerMatch::FuzzyName { customer, .. } => Some(*customer),
            CustomerMatch::Unknown { .. } => None,
        }
    }
}

/// Resolve the customer of `order` sent by `sender`.
pub fn resolve(
    order: &Order,
    sender: Option<&str>,
    master: &MasterData,
    cfg: &RulesConfig,
) -> CustomerMatch {
    let domain = sender.and_then(email_domain);
    if let Some(d) = &domain {
        for candidate in domain_and_parents(d) {
            if let Some(&customer) = master.customer_by_domain.get(candidate) {
                return CustomerMatch::Domain {
                    customer,
                    domain: candidate.to_string(),
                };
            }
        }
    }
    let buyer = order
        .buyer
        .as_ref()
        .map(|b| b.value.trim().to_string())
        .filter(|b| !b.is_empty());
    let mut closest = None;
    if let Some(b) = &buyer {
        let key = normalize_name(b);
        if let Some(Some(customer)) = master.customer_by_name.get(&key) {
            return CustomerMatch::Name {
                customer: *customer,
            };
        }
        if !key.is_empty() {
            // Customers are few (hundreds): a scan with a compact key is fine.
            let compact: String = key.chars().filter(|c| !c.is_whitespace()).collect();
            let mut best: Option<(usize, f64)> = None;
            let mut second = 0.0f64;
            for (name, target) in &master.customer_by_name {
                let Some(i) = *target else { continue };
                let other: String = name.chars().filter(|c| !c.is_whitespace()).collect();
                let s = similarity(&compact, &other);
                match best {
                    Some((bi, bs)) if s > bs || (s == bs && i < bi) => {
                        if bi != i {
                            second = second.max(bs);
                        }
                        best = Some((i, s));
                    }
                    Some((bi, _)) => {
                        if bi != i {
                            second = second.max(s);
                        }
                    }
                    None => best = Some((i, s)),
                }
            }
            if let Some((customer, score)) = best {
                // Accept a clear winner only: above the threshold and not tied with another.
                if score >= cfg.buyer_name_min_similarity && score > second {
                    return CustomerMatch::FuzzyName { customer, score };
                }
                closest = Some((customer, score));
            }
        }
    }
    CustomerMatch::Unknown {
        domain,
        buyer,
        closest,
    }
}
