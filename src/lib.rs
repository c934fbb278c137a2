//! po-intake: purchase orders in (PDF, email, text), checked orders out to the OMS.
pub mod contract;
pub mod domain;
pub mod oms;
pub mod parse;
pub mod rules;
pub mod store;
