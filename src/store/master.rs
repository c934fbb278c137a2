//! Master data tables (filled in by the rules issue).
