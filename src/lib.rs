//! po-intake: purchase orders in (PDF, email, text), checked orders out to the OMS.
pub mod domain;
pub mod parse;
