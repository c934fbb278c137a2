//! Extraction: parsed words -> `Order`s. Until the ONNX model lands (its own issue) the
//! pipeline uses [`placeholder`], a layout heuristic, behind the same interface.

pub mod normalize;
pub mod placeholder;

use chrono::DateTime;

use crate::config::ExtractConfig;
use crate::domain::{Field, Order};
use crate::parse::{DocFlag, ParsedInput, PartContent};

/// What came out of one input: its orders and anything the reviewer should know.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    pub orders: Vec<Order>,
    /// Parts that failed to parse, pages without text, ...
    pub warnings: Vec<String>,
    /// True when no part had readable text at all (so an empty result means "could not
    /// read", not "no order here").
    pub unreadable: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("extractor setup: {0}")]
    Setup(String),
}

/// The extractor used by the pipeline and by `po-intake extract`.
pub struct Extractor {
    _private: (),
}

impl Extractor {
    pub fn from_config(_cfg: &ExtractConfig) -> Result<Extractor, ExtractError> {
        Ok(Extractor { _private: () })
    }

    /// Extract every order in every readable part of `input`.
    pub fn extract(&self, input: &ParsedInput) -> Extracted {
        let mut out = Extracted::default();
        let mut readable = 0;
        let email_date = input
            .email
            .as_ref()
            .and_then(|e| e.date.as_deref())
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.date_naive());
        for (idx, part) in input.parts.iter().enumerate() {
            match &part.content {
                PartContent::Failed { code, reason } => {
                    out.warnings
                        .push(format!("{}: {code}: {reason}", part.name));
                }
                PartContent::Parsed { doc } => {
                    if doc.flags.contains(&DocFlag::NoTextLayer) {
                        out.warnings.push(format!(
                            "{}: no_text_layer: a page has no text layer (scanned image); OCR is not available yet",
                            part.name
                        ));
                    }
                    if doc.word_count() == 0 {
                        continue;
                    }
                    readable += 1;
                    for mut order in placeholder::extract(doc, idx as u32) {
                        order.part = Some(part.name.clone());
                        if order.order_date.is_none() {
                            // An email PO with no date printed takes the email's date.
                            order.order_date = email_date.map(|d| Field::new(d, 0.9, None));
                        }
                        out.orders.push(order);
                    }
                }
            }
        }
        out.unreadable = readable == 0;
        out
    }
}
