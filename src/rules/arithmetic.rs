//! The arithmetic of an order, step by step, the way a clerk checks a printed PO:
//!
//! 1. **each line**: quantity x unit price / price unit x (1 - discount) = amount. A printed
//!    amount in whole cents may also come from a unit price that was rounded for printing
//!    (a 4-decimal price shown with 2): the amount is accepted when amount / quantity rounds
//!    to the printed price.
//! 2. **subtotal**: the lines (credit lines included, with their sign) = the printed subtotal.
//! 3. **rated charges**: a charge printed with a rate (VAT 19 %, discount 3 %) = the rate of
//!    the subtotal (tax: of the subtotal plus the other charges, of the goods alone, or of
//!    the goods less discounts).
//! 4. **total**: subtotal + every printed charge = the printed total. Without a printed tax
//!    charge, a total equal to that base plus tax at one of `rules.tax_rates_pct` is
//!    explained (the printed total usually includes tax the extraction did not see).
//!
//! Each failing step raises one `arithmetic_mismatch` that names the step and the numbers,
//! so a reviewer sees at once whether a line, the subtotal, a charge or the total is off.
//! A subtotal that already includes the freight (a charge row printed above it) is read that
//! way too: the order passes when either reading adds up. No total: steps 1-3 only. A line
//! with neither amount nor quantity and price ends the sum checks (its missing quantity is
//! already an exception).

use super::text::{fmt_money, fmt_qty};
use super::RulesConfig;
use crate::domain::{Charge, ChargeKind, Exception, ExceptionCode, LineItem, Order, Suggestion};

/// `a` is within `tol` of `b`, allowing for floating-point noise.
pub(crate) fn within(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol + 1e-9 * a.abs().max(b.abs()).max(1.0)
}

pub(crate) fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

/// A value with at most two decimals, as money is printed.
fn whole_cents(v: f64) -> bool {
    ((v * 100.0).round() - v * 100.0).abs() < 1e-6
}

/// What a line should come to from its quantity and price, with its price unit and discount.
pub fn line_value(l: &LineItem) -> Option<f64> {
    let q = finite(l.quantity.as_ref().map(|f| f.value))?;
    let p = finite(l.unit_price.as_ref().map(|f| f.value))?;
    Some(q * p / l.price_per() * l.net_factor())
}

/// Does the printed amount agree with quantity and price? Also when the printed price is the
/// 2-decimal rounding of the price the amount was computed with.
fn line_agrees(l: &LineItem, q: f64, p: f64, a: f64, tol: f64) -> bool {
    let expected = q * p / l.price_per() * l.net_factor();
    if within(a, expected, tol) || within(a, round2(expected), tol) {
        return true;
    }
    if q == 0.0 || !whole_cents(a) || !whole_cents(p) {
        return false;
    }
    let implied = a / q * l.price_per() / l.net_factor();
    (implied - p).abs() <= 0.005 + 1e-9
}

fn push(
    ex: &mut Vec<Exception>,
    line: Option<u32>,
    message: String,
    fix: Option<(&str, f64, &str)>,
) {
    ex.push(Exception {
        code: ExceptionCode::ArithmeticMismatch,
        line,
        message,
        suggestion: fix.map(|(field, v, label)| Suggestion {
            field: field.to_string(),
            value: fmt_money(round2(v)),
            label: label.to_string(),
        }),
    });
}

fn line_no(l: &LineItem, index: usize) -> u32 {
    if l.line_no > 0 {
        l.line_no
    } else {
        u32::try_from(index + 1).unwrap_or(u32::MAX)
    }
}

/// Step 1 for every line; returns the sum of the lines when every line has a value.
fn lines(order: &Order, tol: f64, ex: &mut Vec<Exception>) -> Option<f64> {
    let mut sum = 0.0;
    let mut computable = !order.lines.is_empty();
    for (i, l) in order.lines.iter().enumerate() {
        let n = line_no(l, i);
        let q = finite(l.quantity.as_ref().map(|f| f.value));
        let p = finite(l.unit_price.as_ref().map(|f| f.value));
        let a = finite(l.amount.as_ref().map(|f| f.value));
        if let (Some(q), Some(p), Some(a)) = (q, p, a) {
            if !line_agrees(l, q, p, a, tol) {
                let expected = q * p / l.price_per() * l.net_factor();
                let per = if l.price_per() == 1.0 {
                    String::new()
                } else {
                    format!(" per {}", fmt_qty(l.price_per()))
                };
                let less = l
                    .discount_pct
                    .as_ref()
                    .map_or(String::new(), |d| format!(" less {}%", fmt_qty(d.value)));
                push(
                    ex,
                    Some(n),
                    format!(
                        "Line {n}: {} x {}{per}{less} = {} but the line amount is {}.",
                        fmt_qty(q),
                        fmt_money(p),
                        fmt_money(expected),
                        fmt_money(a)
                    ),
                    Some(("amount", expected, "quantity x unit price")),
                );
            }
        }
        match (a, line_value(l)) {
            (Some(a), _) => sum += a,
            (None, Some(v)) => sum += round2(v),
            _ => computable = false,
        }
    }
    computable.then_some(sum)
}

/// One way of reading the totals block: does the printed subtotal already include the
/// charges other than tax (charge rows printed above it)?
#[derive(Clone, Copy)]
struct Reading {
    charges_in_subtotal: bool,
}

impl Reading {
    fn inside(self, c: &Charge) -> bool {
        self.charges_in_subtotal && c.kind != ChargeKind::Tax
    }
}

fn describe(c: &Charge) -> String {
    let label = if c.label.trim().is_empty() {
        c.kind.as_str().to_string()
    } else {
        c.label.trim().to_string()
    };
    format!("{label} {}", fmt_money(c.signed()))
}

type Fail = (String, Option<(&'static str, f64, &'static str)>);

/// A tax line printed without its rate: it must be one of `rules.tax_rates_pct` of one of
/// the `bases`, else nothing vouches for it.
fn unrated_tax(c: &Charge, bases: &[f64], cfg: &RulesConfig, fails: &mut Vec<Fail>) {
    let tol = cfg.arithmetic_tolerance;
    let v = c.amount.value.abs();
    // No tax at all (exempt, reverse charge) needs no rate.
    let fits = within(v, 0.0, tol)
        || bases.iter().any(|b| {
            cfg.tax_rates_pct
                .iter()
                .any(|r| within(v, round2((b * r / 100.0).abs()), tol))
        });
    if !fits && !cfg.tax_rates_pct.is_empty() {
        let pct = bases
            .first()
            .filter(|b| **b != 0.0)
            .map_or(String::new(), |b| {
                format!(" ({:.2}% of {})", v / b * 100.0, fmt_money(*b))
            });
        fails.push((
            format!(
                "Charge '{}': tax {}{pct} is not any rate in rules.tax_rates_pct of the subtotal.",
                c.label.trim(),
                fmt_money(v)
            ),
            None,
        ));
    }
}

/// Steps 2-4 under one reading; the failures, in step order (empty: it adds up).
fn sums(order: &Order, line_sum: f64, r: Reading, cfg: &RulesConfig) -> Vec<Fail> {
    let tol = cfg.arithmetic_tolerance;
    let mut fails = Vec::new();
    let charges: Vec<&Charge> = order
        .charges
        .iter()
        .filter(|c| c.amount.value.is_finite())
        .collect();
    let inside: f64 = charges
        .iter()
        .filter(|c| r.inside(c))
        .map(|c| c.signed())
        .sum();
    let expected_sub = line_sum + inside;
    // Step 2: the printed subtotal; later steps go on from the printed value.
    let subtotal = match finite(order.subtotal.as_ref().map(|f| f.value)) {
        Some(s) => {
            if !within(s, expected_sub, tol) {
                let with = if inside != 0.0 {
                    " with the charges above it"
                } else {
                    ""
                };
                fails.push((
                    format!(
                        "Subtotal: the lines sum to {}{with}, but the printed subtotal is {}: a difference of {}.",
                        fmt_money(expected_sub),
                        fmt_money(s),
                        fmt_money(s - expected_sub)
                    ),
                    Some(("subtotal", expected_sub, "sum of lines")),
                ));
            }
            s
        }
        None => expected_sub,
    };
    let after: Vec<&&Charge> = charges.iter().filter(|c| !r.inside(c)).collect();
    // Step 3: charges printed with a rate. Tax may be on the subtotal or on the subtotal
    // plus the other charges (freight is taxed in most countries); with two tax rates each
    // applies to part of the order and cannot be checked alone.
    let tax_rates: Vec<f64> = charges
        .iter()
        .filter(|c| c.kind == ChargeKind::Tax)
        .filter_map(|c| c.rate_pct)
        .collect();
    let split_tax = tax_rates.iter().any(|r| (r - tax_rates[0]).abs() > 1e-9);
    let others: f64 = after
        .iter()
        .filter(|c| c.kind != ChargeKind::Tax)
        .map(|c| c.signed())
        .sum();
    let discounts: f64 = after
        .iter()
        .filter(|c| c.kind == ChargeKind::Discount)
        .map(|c| c.signed())
        .sum();
    for c in &charges {
        let Some(rate) = c.rate_pct.filter(|r| r.is_finite() && *r >= 0.0) else {
            if c.kind == ChargeKind::Tax && !split_tax {
                unrated_tax(
                    c,
                    &[subtotal + others, subtotal, subtotal + discounts],
                    cfg,
                    &mut fails,
                );
            }
            continue;
        };
        let bases: Vec<f64> = match c.kind {
            ChargeKind::Tax if split_tax => continue,
            ChargeKind::Tax => vec![subtotal + others, subtotal, subtotal + discounts],
            ChargeKind::Rounding => continue,
            _ => vec![line_sum, subtotal],
        };
        let fits = |b: f64| within(c.amount.value.abs(), round2((b * rate / 100.0).abs()), tol);
        if !bases.iter().any(|&b| fits(b)) {
            let want = round2(bases[0] * rate / 100.0);
            fails.push((
                format!(
                    "Charge '{}': {}% of {} is {}, but {} is printed.",
                    c.label.trim(),
                    fmt_qty(rate),
                    fmt_money(bases[0]),
                    fmt_money(want),
                    fmt_money(c.amount.value.abs())
                ),
                None,
            ));
        }
    }
    // Step 4: the total.
    let Some(total) = finite(order.total.as_ref().map(|f| f.value)) else {
        return fails;
    };
    let added: f64 = after.iter().map(|c| c.signed()).sum();
    let base = subtotal + added;
    if within(total, base, tol) {
        return fails;
    }
    let has_tax = charges.iter().any(|c| c.kind == ChargeKind::Tax);
    // A net total printed beside a tax line: the total leaves the tax out.
    let net = base
        - after
            .iter()
            .filter(|c| c.kind == ChargeKind::Tax)
            .map(|c| c.signed())
            .sum::<f64>();
    if has_tax && within(total, net, tol) {
        return fails;
    }
    if !has_tax
        && cfg
            .tax_rates_pct
            .iter()
            .any(|r| within(total, round2(base * (1.0 + r / 100.0)), tol))
    {
        return fails;
    }
    let steps: Vec<String> = after.iter().map(|c| describe(c)).collect();
    let how = if steps.is_empty() {
        format!("the lines sum to {}", fmt_money(subtotal))
    } else {
        format!(
            "subtotal {} + {} = {}",
            fmt_money(subtotal),
            steps.join(" + "),
            fmt_money(base)
        )
    };
    let tax_note = if has_tax || cfg.tax_rates_pct.is_empty() {
        String::new()
    } else {
        let pct = if base != 0.0 {
            format!(" ({:.2}%)", (total - base) / base * 100.0)
        } else {
            String::new()
        };
        format!("{pct}, which is not tax at any rate in rules.tax_rates_pct")
    };
    fails.push((
        format!(
            "Total: {how}, but the printed total is {}: a difference of {}{tax_note}.",
            fmt_money(total),
            fmt_money(total - base),
        ),
        Some((
            "total",
            base,
            if steps.is_empty() {
                "sum of lines"
            } else {
                "sum of lines and charges"
            },
        )),
    ));
    fails
}

/// Steps 1-4 (see the module docs).
pub fn arithmetic(order: &Order, cfg: &RulesConfig, ex: &mut Vec<Exception>) {
    let Some(line_sum) = lines(order, cfg.arithmetic_tolerance, ex) else {
        return;
    };
    let mut first: Option<Vec<_>> = None;
    for charges_in_subtotal in [false, true] {
        let r = Reading {
            charges_in_subtotal,
        };
        // The second reading only matters when a charge could sit above a printed subtotal.
        if charges_in_subtotal
            && (order.subtotal.is_none() || !order.charges.iter().any(|c| r.inside(c)))
        {
            continue;
        }
        let fails = sums(order, line_sum, r, cfg);
        if fails.is_empty() {
            return;
        }
        first.get_or_insert(fails);
    }
    for (message, fix) in first.into_iter().flatten() {
        push(ex, None, message, fix);
    }
}
