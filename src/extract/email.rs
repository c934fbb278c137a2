//! Header facts an email gives outside its body text: the PO number people put in the
//! subject ("Bestellung 4711", "RE: PO 4500012345"), and the buyer's company in the
//! signature, the sender's name for itself.
//!
//! Why apart from the party and header passes: those read a printed form, where the buyer is
//! a labelled block and the number stands beside its label. An email's body has neither; its
//! subject is no part of the body at all.

use crate::domain::{Field, Order};
use crate::layout::lexicon::{normalise, LEGAL_FORMS};
use crate::parse::ParsedDocument;

/// Words in a subject that say an order number follows.
const ORDER_WORDS: &[&str] = &[
    "po",
    "p.o.",
    "order",
    "purchase",
    "bestellung",
    "bestellnr",
    "bestellnummer",
    "auftrag",
    "commande",
    "cde",
    "bestelling",
    "bestelnummer",
    "ordernummer",
    "order-nr",
    "pedido",
    "orden",
    "ordine",
    "ordinativo",
];

/// How sure a number read from the subject is: people also put quote, invoice or ticket
/// numbers there, so a person confirms it.
const SUBJECT_CONFIDENCE: f32 = 0.75;

/// How sure the company named at the end of the signature is the buyer.
const SIGNATURE_CONFIDENCE: f32 = 0.85;

/// The order number in a subject: the first word with three digits or more after an order
/// word ("Commande 706562", "AW: Bestellung Nr. 4711", "PO#4500012345").
pub fn subject_po(subject: &str) -> Option<String> {
    let words: Vec<&str> = subject.split_whitespace().collect();
    let at = words.iter().position(|w| {
        let l = w.to_lowercase();
        let l = l.trim_end_matches([':', '#', '.']);
        ORDER_WORDS.contains(&l)
            || ORDER_WORDS.iter().any(|o| {
                l.strip_prefix(o)
                    .is_some_and(|r| r.starts_with(['#', '-', ':']))
            })
    })?;
    words.get(at..)?.iter().take(4).find_map(|w| {
        let t = w
            .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
            .trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        // "PO#4711": the number after the mark.
        let t = t.rsplit_once('#').map_or(t, |(_, n)| n);
        let digits = t.chars().filter(char::is_ascii_digit).count();
        let clean = t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '_'));
        let date = t.split(['.', '/', '-']).count() == 3
            && t.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '/' | '-'));
        (digits >= 3 && clean && !date).then(|| t.to_string())
    })
}

/// The company that signs the message: a short line near the end whose last word is a legal
/// form ("Müller Anlagenbau GmbH", "Suministros García S.L.").
pub fn signature_company(doc: &ParsedDocument) -> Option<String> {
    let text = doc.text();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.iter().rev().take(8).find_map(|l| {
        let n = normalise(l);
        let words: Vec<&str> = n.split(' ').collect();
        let last = words.last()?;
        let company = words.len() >= 2
            && words.len() <= 7
            && LEGAL_FORMS.contains(last)
            && !l
                .chars()
                .any(|c| c.is_ascii_digit() || c == '@' || c == ':');
        company.then(|| l.trim().to_string())
    })
}

/// Fill what an email body's order lacks from the email: the PO number from the subject, the
/// buyer from the signature (in place of a buyer read without a legal form, which on a body
/// is a greeting or a person more often than a company).
pub fn apply(order: &mut Order, doc: &ParsedDocument, subject: Option<&str>) {
    // A "PO number" that is one of the order's item codes is the code, misread.
    let key = |s: &str| crate::dedupe::po_key(s);
    let is_code = order.po_number.as_ref().is_some_and(|po| {
        order
            .lines
            .iter()
            .filter_map(|l| l.sku.as_ref())
            .any(|sku| key(&sku.value) == key(&po.value))
    });
    if is_code {
        order.po_number = None;
    }
    if order.po_number.is_none() {
        if let Some(po) = subject.and_then(subject_po) {
            order.po_number = Some(Field::new(po, SUBJECT_CONFIDENCE, None));
        }
    }
    let named = order.buyer.as_ref().is_some_and(|b| {
        normalise(&b.value)
            .split(' ')
            .next_back()
            .is_some_and(|w| LEGAL_FORMS.contains(&w))
    });
    if !named {
        if let Some(company) = signature_company(doc) {
            order.buyer = Some(Field::new(company, SIGNATURE_CONFIDENCE, None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text_to_doc;

    #[test]
    fn order_numbers_in_subjects() {
        assert_eq!(subject_po("Commande 706562").as_deref(), Some("706562"));
        assert_eq!(
            subject_po("AW: Bestellung Nr. 4711").as_deref(),
            Some("4711")
        );
        assert_eq!(
            subject_po("RE: PO#4500012345 urgent").as_deref(),
            Some("4500012345")
        );
        assert_eq!(subject_po("Pedido PO-62151").as_deref(), Some("PO-62151"));
        assert_eq!(subject_po("Order of 12.03.2024"), None);
        assert_eq!(subject_po("Meeting on 4711"), None);
    }

    #[test]
    fn the_signature_names_the_buyer() {
        let doc = text_to_doc(
            "Hallo,\n10 x AB-100\nMit freundlichen Grüßen\nAnna Keller\nMüller Anlagenbau GmbH\nTel. +49 30 1234\n",
        );
        assert_eq!(
            signature_company(&doc).as_deref(),
            Some("Müller Anlagenbau GmbH")
        );
        assert_eq!(signature_company(&text_to_doc("Thanks,\nAnna\n")), None);
    }
}
