//! Master data tables (filled in by the rules issue).

use super::{Result, Store};
use crate::rules::MasterData;

impl Store {
    /// Load the master data snapshot (stub).
    pub fn load_master(&self) -> Result<MasterData> {
        Ok(MasterData::default())
    }
}
