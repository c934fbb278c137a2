//! One function per check. Each appends `Exception`s with a sentence that names the values
//! and, where one exists, a one-click `Suggestion`.
//!
//! Decisions worth knowing:
//! - Amounts are compared with a small epsilon on top of the configured tolerance so that a
//!   difference exactly at the tolerance passes despite binary floating point.
//! - A line whose unit cannot be converted to the catalog's raises `uom_mismatch` only: its
//!   price, pack size and stock are in a different unit and are not compared.
//! - A line priced in another currency than the order raises `currency_mismatch` (unless the
//!   header already did for the same reason) and its price is not compared.
//! - The arithmetic (lines, subtotal, charges, total) is its own file, `arithmetic.rs`.
//! - A line without a unit price is not a problem here: the OMS prices it from the catalog.

use super::arithmetic::within;
use super::customer::CustomerMatch;
use super::text::{canonical_currency, fmt_money, fmt_qty};
use super::uom;
use super::{CheckContext, ConfidenceField, RulesConfig, StockPolicy};
use crate::dedupe::{content_key, po_key, DuplicateHit, DuplicateProbe};
use crate::domain::{Exception, ExceptionCode, Field, LineItem, Order, Suggestion};
use crate::master::{CatalogItem, Customer, MasterData};

fn push(
    ex: &mut Vec<Exception>,
    code: ExceptionCode,
    line: Option<u32>,
    message: String,
    suggestion: Option<Suggestion>,
) {
    ex.push(Exception {
        code,
        line,
        message,
        suggestion,
    });
}

fn suggest(field: &str, value: String, label: impl Into<String>) -> Option<Suggestion> {
    Some(Suggestion {
        field: field.to_string(),
        value,
        label: label.into(),
    })
}

fn blank(f: &Option<Field<String>>) -> bool {
    f.as_ref().is_none_or(|f| f.value.trim().is_empty())
}

/// A document that matched a learned layout of its customer only in part (a label or the
/// item table's header not where it was learned): its values were read generically, and a
/// person looks, since the form changed (issue 18).
pub fn layout_changed(order: &Order, ex: &mut Vec<Exception>) {
    let Some(l) = order.layout.as_ref().filter(|l| !l.changed.is_empty()) else {
        return;
    };
    push(
        ex,
        ExceptionCode::LayoutChanged,
        None,
        format!(
            "The document looks like the layout learned from order #{} but {} not where it was learned ({}); those values were read without the layout. Check them, then approve to learn the new layout.",
            l.learned_from,
            if l.changed.len() == 1 { "this field is" } else { "these fields are" },
            l.changed.join(", ")
        ),
        None,
    );
}

/// No PO number, no lines, a line without a (positive) quantity.
pub fn completeness(order: &Order, ex: &mut Vec<Exception>) {
    if blank(&order.po_number) {
        push(
            ex,
            ExceptionCode::MissingField,
            None,
            "The order has no PO number.".into(),
            None,
        );
    }
    if order.lines.is_empty() {
        push(
            ex,
            ExceptionCode::MissingField,
            None,
            "The order has no item lines.".into(),
            None,
        );
    }
    for (i, l) in order.lines.iter().enumerate() {
        let n = line_no(l, i);
        if l.is_credit() {
            continue;
        }
        match &l.quantity {
            None => push(
                ex,
                ExceptionCode::MissingField,
                Some(n),
                format!("Line {n} has no quantity."),
                None,
            ),
            Some(q) if q.value.is_finite() && q.value < 0.0 => push(
                ex,
                ExceptionCode::MissingField,
                Some(n),
                format!(
                    "Line {n} has quantity {}: a return or credit of an item is not an order line; a person decides how to book it.",
                    fmt_qty(q.value)
                ),
                None,
            ),
            Some(q) if !(q.value.is_finite() && q.value > 0.0) => push(
                ex,
                ExceptionCode::MissingField,
                Some(n),
                format!(
                    "Line {n} has quantity {}; a line needs a quantity above 0.",
                    fmt_qty(q.value)
                ),
                None,
            ),
            Some(_) => {}
        }
    }
}

fn line_no(l: &LineItem, index: usize) -> u32 {
    if l.line_no > 0 {
        l.line_no
    } else {
        index as u32 + 1
    }
}

/// Fields below the confidence threshold (only those present and configured).
pub fn confidence(order: &Order, cfg: &RulesConfig, ex: &mut Vec<Exception>) {
    let mut low = |line: Option<u32>, field: ConfidenceField, value: String, conf: f32| {
        let th = cfg.threshold(field);
        if conf < th {
            let at = line.map_or("The header".to_string(), |n| format!("Line {n}"));
            push(
                ex,
                ExceptionCode::LowConfidence,
                line,
                format!(
                    "{at}: {} '{value}' was read with confidence {conf:.2}, below {th:.2}; check it against the document.",
                    field.as_str()
                ),
                None,
            );
        }
    };
    use ConfidenceField as F;
    for &f in &cfg.confidence_fields {
        match f {
            F::PoNumber => {
                if let Some(v) = &order.po_number {
                    low(None, f, v.value.clone(), v.confidence)
                }
            }
            F::OrderDate => {
                if let Some(v) = &order.order_date {
                    low(None, f, v.value.to_string(), v.confidence)
                }
            }
            F::Buyer => {
                if let Some(v) = &order.buyer {
                    low(None, f, v.value.clone(), v.confidence)
                }
            }
            F::Currency => {
                if let Some(v) = &order.currency {
                    low(None, f, v.value.clone(), v.confidence)
                }
            }
            F::ShipTo => {
                if let Some(v) = &order.ship_to {
                    low(None, f, v.value.clone(), v.confidence)
                }
            }
            F::Total => {
                if let Some(v) = &order.total {
                    low(None, f, fmt_money(v.value), v.confidence)
                }
            }
            _ => {}
        }
    }
    for (i, l) in order.lines.iter().enumerate() {
        let n = Some(line_no(l, i));
        for &f in &cfg.confidence_fields {
            let s = |v: &Option<Field<String>>| v.as_ref().map(|v| (v.value.clone(), v.confidence));
            let q = |v: &Option<Field<f64>>| v.as_ref().map(|v| (fmt_qty(v.value), v.confidence));
            let m = |v: &Option<Field<f64>>| v.as_ref().map(|v| (fmt_money(v.value), v.confidence));
            let got = match f {
                F::Sku => s(&l.sku),
                F::CustomerPart => s(&l.customer_part),
                F::Description => s(&l.description),
                F::Quantity => q(&l.quantity),
                F::Uom => s(&l.uom),
                F::UnitPrice => m(&l.unit_price),
                F::Amount => m(&l.amount),
                _ => None,
            };
            if let Some((v, c)) = got {
                low(n, f, v, c);
            }
        }
    }
}

/// No customer found.
pub fn unknown_customer(who: &CustomerMatch, master: &MasterData, ex: &mut Vec<Exception>) {
    let CustomerMatch::Unknown {
        domain,
        buyer,
        closest,
    } = who
    else {
        return;
    };
    let mut why = Vec::new();
    match domain {
        Some(d) => why.push(format!("the sender domain '{d}' belongs to no customer")),
        None => why.push("there is no sender address".to_string()),
    }
    match buyer {
        Some(b) => why.push(format!("the buyer name '{b}' matches no customer name")),
        None => why.push("no buyer name was read".to_string()),
    }
    let suggestion = closest.and_then(|(i, score)| {
        let c = master.customers.get(i)?;
        Some(Suggestion {
            field: "customer_id".into(),
            value: c.customer_id.clone(),
            label: format!(
                "closest customer name: '{}' (similarity {score:.2})",
                c.name
            ),
        })
    });
    push(
        ex,
        ExceptionCode::UnknownCustomer,
        None,
        format!(
            "Unknown customer: {} ({} customers known).",
            why.join(" and "),
            master.customers.len()
        ),
        suggestion,
    );
}

/// Same customer (or both unknown) and the same normalised PO number, or the same lines and
/// total within `duplicate_window_days`, already accepted or queued. A lookup that fails
/// raises the exception too: an order whose duplicate check could not run is not accepted.
pub fn duplicate(
    order: &Order,
    customer: Option<&Customer>,
    ctx: &CheckContext<'_>,
    cfg: &RulesConfig,
    ex: &mut Vec<Exception>,
) {
    let po = order
        .po_number
        .as_ref()
        .map(|f| f.value.trim())
        .filter(|p| !p.is_empty());
    let probe = DuplicateProbe {
        customer_id: customer.map(|c| c.customer_id.as_str()),
        po_key: po.map(po_key).filter(|k| !k.is_empty()),
        content_key: (cfg.duplicate_window_days > 0)
            .then(|| content_key(order))
            .flatten(),
        window_days: cfg.duplicate_window_days,
    };
    if probe.po_key.is_none() && probe.content_key.is_none() {
        return;
    }
    let who = customer.map_or("an unknown customer".to_string(), |c| {
        format!("{} ({})", c.customer_id, c.name)
    });
    let po = po.unwrap_or("(none)");
    let message = match (ctx.is_duplicate)(&probe) {
        Ok(None) => return,
        Ok(Some(DuplicateHit::SamePo { po_number })) => format!(
            "PO {po} from {who} was already received (as PO {po_number}): an order with this number is accepted or in review."
        ),
        Ok(Some(DuplicateHit::SameContent { po_number })) => format!(
            "An order from {who} with the same lines and total (PO {}) was received in the last {} days: PO {po} may be a re-send.",
            po_number.as_deref().unwrap_or("(none)"),
            cfg.duplicate_window_days
        ),
        Err(e) => format!(
            "The duplicate check for PO {po} could not run ({e}); the order is held as a possible duplicate."
        ),
    };
    push(ex, ExceptionCode::DuplicatePo, None, message, None);
}

/// The currency the order is in, and whether the header already reported a mismatch.
pub struct OrderCurrency {
    /// The order's printed currency, else the customer's.
    pub code: Option<String>,
    pub customer: Option<String>,
    pub header_mismatch: bool,
}

/// Order currency vs the customer's currency.
pub fn order_currency(
    order: &Order,
    customer: Option<&Customer>,
    ex: &mut Vec<Exception>,
) -> OrderCurrency {
    let cust = customer.and_then(|c| c.currency.clone());
    // A currency the extraction only guessed from the country of the addresses (no printed
    // mark, low confidence) gives way to the customer's own.
    let guessed = |c: &crate::domain::Field<String>| c.source.is_none() && c.confidence < 0.6;
    let printed = order
        .currency
        .as_ref()
        .filter(|c| cust.is_none() || !guessed(c))
        .map(|c| canonical_currency(&c.value))
        .filter(|c| !c.is_empty());
    let mut header_mismatch = false;
    if let (Some(p), Some(c), Some(cu)) = (&printed, &cust, customer) {
        if p != c {
            header_mismatch = true;
            push(
                ex,
                ExceptionCode::CurrencyMismatch,
                None,
                format!(
                    "The order is in {p} but customer {} is billed in {c}.",
                    cu.customer_id
                ),
                suggest("currency", c.clone(), "customer currency"),
            );
        }
    }
    OrderCurrency {
        code: printed.or_else(|| cust.clone()),
        customer: cust,
        header_mismatch,
    }
}

/// A line with no catalog match.
pub fn unknown_sku(
    n: u32,
    line: &LineItem,
    suggestion: Option<Suggestion>,
    ex: &mut Vec<Exception>,
) {
    let val = |f: &Option<Field<String>>| {
        f.as_ref()
            .map(|f| f.value.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut what = Vec::new();
    if let Some(s) = val(&line.sku) {
        what.push(format!("SKU '{s}'"));
    }
    if let Some(p) = val(&line.customer_part) {
        what.push(format!("customer part '{p}'"));
    }
    let message = if what.is_empty() {
        match val(&line.description) {
            Some(d) => format!("Line {n} has no SKU or part number, only the description '{d}'."),
            None => format!("Line {n} has no SKU, part number or description."),
        }
    } else {
        format!(
            "Line {n}: {} matches no catalog item or cross-reference.",
            what.join(" / ")
        )
    };
    push(ex, ExceptionCode::UnknownSku, Some(n), message, suggestion);
}

/// How far a unit price (per one unit) may be from `expected`. The absolute tolerance is at
/// most 5 % of the price (a cent on a 4-cent nut would hide a 25 % increase); a price
/// printed in whole cents may be the rounding of one with more decimals (half a cent, per
/// its price unit).
fn price_tolerance(expected: f64, line: &LineItem, cfg: &RulesConfig) -> f64 {
    let pct = expected.abs() * cfg.price_tolerance_pct / 100.0;
    let abs = cfg.price_tolerance_abs.min(expected.abs() * 0.05);
    let printed_cents = line.unit_price.as_ref().is_some_and(|p| {
        let c = p.value * 100.0;
        (c - c.round()).abs() < 1e-6
    });
    let rounding = if printed_cents {
        0.005 / line.price_per()
    } else {
        0.0
    };
    pct.max(abs).max(rounding)
}

/// The checks on a matched line: unit, pack and minimum, stock, currency, price.
#[allow(clippy::too_many_arguments)]
pub fn matched_line(
    n: u32,
    line: &LineItem,
    item: &CatalogItem,
    customer: Option<&Customer>,
    currency: &OrderCurrency,
    master: &MasterData,
    cfg: &RulesConfig,
    ex: &mut Vec<Exception>,
) {
    let sku = &item.sku;
    // Unit of measure.
    let order_uom = line
        .uom
        .as_ref()
        .map(|u| u.value.trim())
        .filter(|u| !u.is_empty());
    let customer_id = customer.map(|c| c.customer_id.as_str());
    let order_code = order_uom.map(|u| uom::resolve(u, customer_id, master, cfg));
    let factor = match (order_uom, &order_code) {
        (Some(u), Some(code)) => match uom::factor(code, item, cfg) {
            Some(f) => f,
            None => {
                let known = if code.as_str() == uom::fold(u) && !uom::is_known(code) {
                    format!("'{u}' is not a unit the rules know (built-in table, rules.uom_synonyms or one a reviewer confirmed for this customer); {sku} is sold per '{}'", item.uom)
                } else {
                    format!("unit '{u}' ({code}) cannot be converted to the catalog unit '{}' of {sku} (no pack size or rules.uom_conversions entry)", item.uom)
                };
                push(
                    ex,
                    ExceptionCode::UomMismatch,
                    Some(n),
                    format!("Line {n}: {known}; quantity and price were not checked.",),
                    suggest("uom", item.uom.clone(), "catalog unit"),
                );
                return;
            }
        },
        _ => 1.0,
    };
    let unit_note = |q: f64| {
        if factor == 1.0 {
            String::new()
        } else {
            format!(" (= {} {})", fmt_qty(q * factor), item.uom)
        }
    };
    let in_order_units = |q_cat: f64| q_cat / factor;
    let order_unit = order_uom.unwrap_or(&item.uom);

    // Quantity: minimum and pack multiple (in catalog units).
    if let Some(q) = line
        .quantity
        .as_ref()
        .map(|q| q.value)
        .filter(|q| q.is_finite() && *q > 0.0)
    {
        let q_cat = q * factor;
        let pack = item.pack_size;
        let next_multiple = |x: f64| {
            let k = (x / pack - 1e-9).ceil().max(1.0);
            k * pack
        };
        if q_cat + 1e-9 < item.min_qty {
            let target = next_multiple(item.min_qty);
            push(
                ex,
                ExceptionCode::PackMultiple,
                Some(n),
                format!(
                    "Line {n}: {} {order_unit}{} of {sku} is below the minimum order quantity {} {}.",
                    fmt_qty(q),
                    unit_note(q),
                    fmt_qty(item.min_qty),
                    item.uom
                ),
                suggest(
                    "quantity",
                    fmt_qty(in_order_units(target)),
                    format!("minimum order quantity ({} {})", fmt_qty(target), item.uom),
                ),
            );
        } else if pack > 0.0 && !(pack == 1.0 && uom::is_measure(&uom::canonical_uom(&item.uom))) {
            // Metres, kilograms and litres sold by the unit may be ordered in fractions.
            let ratio = q_cat / pack;
            if (ratio - ratio.round()).abs() > 1e-9 * ratio.abs().max(1.0) {
                let target = next_multiple(q_cat);
                push(
                    ex,
                    ExceptionCode::PackMultiple,
                    Some(n),
                    format!(
                        "Line {n}: {} {order_unit}{} of {sku} is not a multiple of the pack size {} {}.",
                        fmt_qty(q),
                        unit_note(q),
                        fmt_qty(pack),
                        item.uom
                    ),
                    suggest(
                        "quantity",
                        fmt_qty(in_order_units(target)),
                        format!("next multiple of the pack size ({} {})", fmt_qty(target), item.uom),
                    ),
                );
            }
        }
        // Stock snapshot.
        if let Some(stock) = item.stock {
            if q_cat > stock + 1e-9 && cfg.stock_policy == StockPolicy::Review {
                let version = master
                    .version
                    .map_or(String::new(), |v| format!(" (master data version {v})"));
                let available = in_order_units(stock.max(0.0)).floor();
                push(
                    ex,
                    ExceptionCode::InsufficientStock,
                    Some(n),
                    format!(
                        "Line {n}: {} {order_unit}{} of {sku} ordered, {} {} in stock{version}.",
                        fmt_qty(q),
                        unit_note(q),
                        fmt_qty(stock),
                        item.uom
                    ),
                    (available > 0.0)
                        .then(|| suggest("quantity", fmt_qty(available), "quantity in stock"))
                        .flatten(),
                );
            }
        }
    }

    // Currency and price.
    let contract = customer.and_then(|c| {
        master
            .contract_price(&c.customer_id, sku)
            .map(|p| (p, c.customer_id.as_str()))
    });
    let (basis_price, basis_ccy, basis_label) = match contract {
        // Contract prices are in the customer's currency (else assumed the order's).
        Some((p, cid)) => (
            p,
            currency.customer.clone().or_else(|| currency.code.clone()),
            format!("contract price for {cid}"),
        ),
        None => (
            item.unit_price,
            Some(item.currency.clone()),
            "catalog price".to_string(),
        ),
    };
    // No printed price: nothing to compare, and no price in another currency to flag (the
    // OMS prices the line).
    // A price per 100 or 1000 is compared per unit.
    let Some(price) = line.unit_price.as_ref().map(|p| p.value / line.price_per()) else {
        return;
    };
    if let (Some(order_ccy), Some(basis_ccy)) = (&currency.code, &basis_ccy) {
        if order_ccy != basis_ccy {
            let covered = currency.header_mismatch && currency.customer.as_ref() == Some(basis_ccy);
            if !covered {
                push(
                    ex,
                    ExceptionCode::CurrencyMismatch,
                    Some(n),
                    format!(
                        "Line {n}: {sku} is priced in {basis_ccy} ({basis_label}) but the order is in {order_ccy}; the price was not compared."
                    ),
                    None,
                );
            }
            return;
        }
    }
    let expected = basis_price * factor;
    let allowed = price_tolerance(expected, line, cfg);
    // A line discount may turn a list price into the contract price: either passes.
    let net = price * line.net_factor();
    if !within(price, expected, allowed) && !within(net, expected, allowed) {
        let per = if factor == 1.0 {
            String::new()
        } else {
            format!(
                " per {order_unit} ({} {} x {})",
                fmt_qty(factor),
                item.uom,
                fmt_money(basis_price)
            )
        };
        push(
            ex,
            ExceptionCode::PriceMismatch,
            Some(n),
            format!(
                "Line {n}: unit price {} for {sku} differs from the {basis_label} {}{per} by {} (tolerance {}).",
                fmt_money(price),
                fmt_money(expected),
                fmt_money((price - expected).abs()),
                fmt_money(allowed)
            ),
            suggest("unit_price", fmt_money(expected), basis_label),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Field;

    fn customer(currency: &str) -> Customer {
        Customer {
            customer_id: "C1".into(),
            name: "Acme".into(),
            email_domains: vec![],
            currency: Some(currency.into()),
        }
    }

    #[test]
    fn a_currency_guessed_from_the_country_gives_way_to_the_customers() {
        let mut order = Order {
            currency: Some(Field::new("USD".to_string(), 0.5, None)),
            ..Order::default()
        };
        let mut ex = Vec::new();
        let cur = order_currency(&order, Some(&customer("EUR")), &mut ex);
        assert!(ex.is_empty(), "{ex:?}");
        assert_eq!(cur.code.as_deref(), Some("EUR"));
        // A printed currency that differs is still a mismatch.
        order.currency = Some(Field::new("USD".to_string(), 0.9, None));
        let cur = order_currency(&order, Some(&customer("EUR")), &mut ex);
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].code, ExceptionCode::CurrencyMismatch);
        assert_eq!(cur.code.as_deref(), Some("USD"));
    }
}
