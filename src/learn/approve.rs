//! Where layouts meet the store: learning one when a reviewer approves an order, reading a
//! new document with its customer's layouts in the pipeline, and the approve-with-edits
//! step shared by the web UI and `po-intake review approve --order`.

use serde::Serialize;

use super::{learn, note, overlay, part_doc, score, Layout, MATCH, NEAR};
use crate::config::Config;
use crate::domain::{CheckResult, Field, LayoutUse, LineItem, Order, OrderState};
use crate::parse::ParsedInput;
use crate::rules::{self, CheckContext, MasterData};
use crate::store::{LayoutRow, NewLayout, OrderRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The order is flagged as a possible duplicate and `force` was not given.
    #[error("order {id} is flagged duplicate_po: {message} Approve it with --force if it is a new order.")]
    Duplicate { id: i64, message: String },
    #[error("order {id} is {state}, not in review")]
    NotInReview { id: i64, state: String },
}

/// The sender as the rules see it: the From of an email (kept when it was read, else parsed
/// again), else the document's sender.
pub fn sender_of(
    store: &Store,
    cfg: &Config,
    document_id: i64,
) -> Result<Option<String>, StoreError> {
    let Some(d) = store.document(document_id)? else {
        return Ok(None);
    };
    let mut sender = d.sender.clone();
    if d.media_type == "message/rfc822" {
        let from = match store.stored_email(d.id)? {
            Some(e) => e.meta.from,
            None => store
                .read_original(&d.sha256)
                .ok()
                .and_then(|bytes| crate::parse::parse(&bytes, &d.file_name, &cfg.limits).ok())
                .and_then(|p| p.email.and_then(|e| e.from)),
        };
        sender = from.or(sender);
    }
    Ok(sender)
}

/// Run the rules again on `order` (an edited version of `row`), as the pipeline would, but
/// not counting the order itself as a duplicate of its own PO.
pub fn recheck(
    store: &Store,
    cfg: &Config,
    row: &OrderRow,
    order: &Order,
) -> Result<CheckResult, StoreError> {
    let master = store.master()?;
    let sender = sender_of(store, cfg, row.document_id)?;
    let id = row.id;
    let dup = |p: &rules::DuplicateProbe<'_>| {
        store
            .find_duplicate(p, Some(id))
            .map_err(|e| format!("store error: {e}"))
    };
    let ctx = CheckContext {
        sender: sender.as_deref(),
        is_duplicate: &dup,
    };
    Ok(rules::check(order, &ctx, &master, &cfg.rules))
}

/// What `approve` did, for `review approve --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Approved {
    pub order_id: i64,
    pub state: String,
    /// The decision the rules took on the order as approved (`accept` or `review`: a person
    /// approved it either way).
    pub decision: String,
    pub exceptions: Vec<String>,
    /// Fields the reviewer changed.
    pub edited: Vec<String>,
    /// The layout learned (or learned again) from this approval.
    pub layout: Option<i64>,
}

/// Keep the extractor's place for every value the reviewer left as it was, so an unchanged
/// value still points at its words; a value that comes with its own place (the reviewer
/// clicked its words) keeps that one.
fn keep_sources(stored: &Order, edited: &mut Order) {
    fn keep<T: PartialEq + Clone>(s: &Option<Field<T>>, e: &mut Option<Field<T>>) {
        if let (Some(s), Some(e)) = (s, e.as_mut()) {
            if s.value == e.value && e.source.is_none() {
                e.source = s.source.clone();
            }
        }
    }
    keep(&stored.po_number, &mut edited.po_number);
    keep(&stored.order_date, &mut edited.order_date);
    keep(&stored.buyer, &mut edited.buyer);
    keep(&stored.currency, &mut edited.currency);
    keep(&stored.ship_to, &mut edited.ship_to);
    keep(&stored.total, &mut edited.total);
    keep(&stored.subtotal, &mut edited.subtotal);
    for (s, e) in stored.lines.iter().zip(edited.lines.iter_mut()) {
        let LineItem { line_no, .. } = s;
        e.line_no = *line_no;
        keep(&s.sku, &mut e.sku);
        keep(&s.customer_part, &mut e.customer_part);
        keep(&s.description, &mut e.description);
        keep(&s.quantity, &mut e.quantity);
        keep(&s.uom, &mut e.uom);
        keep(&s.unit_price, &mut e.unit_price);
        keep(&s.amount, &mut e.amount);
        keep(&s.discount_pct, &mut e.discount_pct);
        keep(&s.price_unit, &mut e.price_unit);
    }
    edited.part = stored.part.clone();
    edited.layout = stored.layout.clone();
}

/// Approve order `id`, with the reviewer's corrected order `edited` when given (saved and
/// checked first, as the UI's save then approve), then learn its layout. `version` guards
/// against a concurrent change (the UI passes the one it showed).
pub fn approve(
    store: &mut Store,
    cfg: &Config,
    user: &str,
    id: i64,
    version: Option<i64>,
    edited: Option<Order>,
    force: bool,
) -> Result<Approved, ApproveError> {
    let row = store
        .order(id)?
        .ok_or(StoreError::NotFound { what: "order", id })?;
    if row.state != OrderState::Review {
        return Err(ApproveError::NotInReview {
            id,
            state: row.state.as_str().into(),
        });
    }
    let mut version = version.unwrap_or(row.version);
    let mut check = row.check.clone();
    let mut changed = Vec::new();
    if let Some(mut order) = edited {
        keep_sources(&row.order, &mut order);
        changed = crate::domain::changed_fields(&row.order, &order);
        check = recheck(store, cfg, &row, &order)?;
        version = store.update_order(id, version, user, &order, &check)?;
    }
    let dup = check
        .exceptions
        .iter()
        .find(|e| e.code == crate::domain::ExceptionCode::DuplicatePo);
    if let (Some(e), false) = (dup, force) {
        return Err(ApproveError::Duplicate {
            id,
            message: e.message.clone(),
        });
    }
    store.approve_order(id, Some(version), user)?;
    let layout = match learn_from(store, cfg, id, user) {
        Ok(l) => l,
        Err(e) => {
            // Learning is a bonus: the approval stands.
            tracing::warn!(order = id, "learning the layout: {e}");
            None
        }
    };
    Ok(Approved {
        order_id: id,
        state: OrderState::Accepted.as_str().into(),
        decision: check.decision().as_str().into(),
        exceptions: check
            .exceptions
            .iter()
            .map(|e| e.code.as_str().to_string())
            .collect(),
        edited: changed,
        layout,
    })
}

/// Learn the layout of approved order `id` (from its document's words) and store it for
/// its customer and sender, replacing a layout of theirs it matches. `None` when nothing
/// could be learned (a document of several orders, EDI, a value not printed anywhere).
pub fn learn_from(
    store: &mut Store,
    cfg: &Config,
    id: i64,
    user: &str,
) -> Result<Option<i64>, StoreError> {
    let Some(row) = store.order(id)? else {
        return Ok(None);
    };
    if store.orders_for_document(row.document_id)?.len() != 1 {
        return Ok(None);
    }
    let Some(d) = store.document(row.document_id)? else {
        return Ok(None);
    };
    let bytes = store.read_original(&d.sha256)?;
    let Ok(parsed) = crate::parse::parse(&bytes, &d.file_name, &cfg.limits) else {
        return Ok(None);
    };
    let Some(doc) = part_doc(&parsed, row.order.part.as_deref()) else {
        return Ok(None);
    };
    let Some(layout) = learn(&row.order, &doc) else {
        return Ok(None);
    };
    let sender = sender_of(store, cfg, row.document_id)?;
    let customer = row.check.customer_id.clone();
    if customer.is_none() && sender.is_none() {
        // Nobody to keep it for.
        return Ok(None);
    }
    let same = store
        .layouts_for(customer.as_deref(), sender.as_deref())?
        .into_iter()
        .filter_map(|r| parse(&r).map(|l| (r.id, score(&l, &doc))))
        .filter(|(_, s)| *s >= MATCH)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id);
    let json = serde_json::to_string(&layout).map_err(StoreError::from)?;
    let summary = serde_json::json!({
        "fields": layout.fields.iter().map(|f| f.field.clone()).collect::<Vec<_>>(),
        "table": layout.table.as_ref().map(|t| t.columns.iter().filter_map(|c| c.field.clone()).collect::<Vec<_>>()),
        "anchors": layout.fingerprint.len(),
    });
    let new = NewLayout {
        customer_id: customer.as_deref(),
        sender: sender.as_deref(),
        order_id: id,
        approved_by: user,
        layout_json: &json,
        summary,
    };
    Ok(Some(store.save_layout(&new, same)?))
}

/// A stored layout, or `None` when its JSON is from an incompatible build.
pub fn parse(row: &LayoutRow) -> Option<Layout> {
    serde_json::from_str(&row.layout_json).ok()
}

/// Read `order` (the generic reading) again with the best learned layout of its customer
/// (or, the customer unknown, of its sender) when the document's static words match it.
/// A layout of another customer is never used; a document that matches its customer's
/// layout only in part is flagged (`layout_changed`) and keeps the generic reading.
pub fn apply(
    store: &Store,
    input: &ParsedInput,
    order: Order,
    sender: Option<&str>,
    master: &MasterData,
    cfg: &rules::RulesConfig,
) -> Result<Order, StoreError> {
    let customer_of = |o: &Order| {
        rules::customer::resolve(o, sender, master, cfg)
            .index()
            .and_then(|i| master.customers.get(i))
            .map(|c| c.customer_id.clone())
    };
    if crate::extract::Ablate::from_env().off("layouts") {
        // `PO_INTAKE_ABLATE=layouts`: read generically, for the replay's baseline.
        return Ok(order);
    }
    let customer = customer_of(&order);
    let mut rows = store.layouts_for(customer.as_deref(), sender)?;
    if customer.is_none() && rows.is_empty() {
        // Nobody recognised (a misread buyer name, no sender): every layout is a candidate,
        // and one is used only if what it reads is its own customer's document (below).
        rows = store.all_layouts()?;
    }
    if rows.is_empty() {
        return Ok(order);
    }
    let started = std::time::Instant::now();
    let Some(doc) = part_doc(input, order.part.as_deref()) else {
        return Ok(order);
    };
    let best = rows
        .iter()
        .filter_map(|r| parse(r).map(|l| (r, l)))
        .map(|(r, l)| {
            let s = score(&l, &doc);
            (r, l, s)
        })
        .max_by(|a, b| a.2.total_cmp(&b.2));
    let Some((row, layout, s)) = best else {
        return Ok(order);
    };
    if s < NEAR {
        return Ok(order);
    }
    if s < MATCH {
        let mut order = order;
        order.layout = Some(LayoutUse {
            changed: vec!["layout".into()],
            ..note(
                row,
                &super::Applied {
                    order: Order::default(),
                    read: vec![],
                    changed: vec![],
                },
                s,
            )
        });
        return Ok(order);
    }
    let applied = overlay(&layout, &doc, &order);
    // The layout's reading must still be its customer's document.
    let now = customer_of(&applied.order);
    if row.customer_id.is_some() && now != row.customer_id {
        return Ok(order);
    }
    let mut out = applied.order.clone();
    let ms = (started.elapsed().as_secs_f64() * 1000.0) as f32;
    out.layout = Some(LayoutUse {
        ms: (ms * 100.0).round() / 100.0,
        ..note(row, &applied, s)
    });
    store.layout_used(row.id)?;
    tracing::debug!(layout = row.id, score = s, ms, "read with a learned layout");
    Ok(out)
}
