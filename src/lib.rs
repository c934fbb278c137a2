//! po-intake: purchase orders in (PDF, email, text), checked orders out to the OMS.
//!
//! ```text
//!  drop folder ─┐                                              ┌─ accept ─> outbox ─> OMS
//!  IMAP inbox ──┼─> store (sha256, archive) ─> parse ─> extract ─> rules ─┤
//!  upload ──────┘                                              └─ review queue ─> reviewer
//! ```
//!
//! Each stage is a module; plain data flows between them (see [`domain`]).

pub mod ack;
pub mod backoff;
pub mod config;
pub mod contract;
pub mod dedupe;
pub mod domain;
pub mod eval;
pub mod extract;
pub mod intake;
pub mod layout;
pub mod learn;
pub mod logging;
pub mod master;
pub mod oms;
pub mod parse;
pub mod pipeline;
pub mod rules;
pub mod store;
pub mod supervise;
pub mod web;
