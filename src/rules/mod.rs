//! Rules: master data (catalog, customers, cross-references, contract prices), line matching
//! and the checks that decide whether an order may go to the OMS untouched.
//! (Filled in by the rules issue.)

use serde::{Deserialize, Serialize};

/// Tolerances and policies for the checks; the `[rules]` table of the config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RulesConfig {}
