//! Rules: master data (catalog, customers, cross-references, contract prices), line matching
//! and the checks that decide whether an order may go to the OMS untouched.
//! (Filled in by the rules issue.)

use serde::{Deserialize, Serialize};

/// Tolerances and policies for the checks; the `[rules]` table of the config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RulesConfig {}

use crate::domain::{CheckResult, LineMatch, MatchKind, Order};

/// In-memory snapshot of the master data (stub until the rules issue lands).
#[derive(Debug, Clone, Default)]
pub struct MasterData {}

/// What the checks need to know beyond the order itself.
pub struct CheckContext<'a> {
    pub sender: Option<String>,
    pub is_duplicate: &'a dyn Fn(&str, &str) -> bool,
}

/// Run every check on one order (stub: matches nothing, flags nothing).
pub fn check(
    order: &Order,
    _ctx: &CheckContext<'_>,
    _master: &MasterData,
    _cfg: &RulesConfig,
) -> CheckResult {
    CheckResult {
        customer_id: None,
        exceptions: vec![],
        lines: order
            .lines
            .iter()
            .map(|l| LineMatch {
                line_no: l.line_no,
                matched_sku: None,
                kind: MatchKind::None,
            })
            .collect(),
    }
}
