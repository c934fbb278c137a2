//! The plain data that flows between pipeline stages. No I/O lives here.
//!
//! `Incoming` (bytes + where from) -> `Document` (stored by sha256) -> `ParsedInput`
//! (see `parse`) -> `Vec<Order>` -> `Vec<Exception>` -> `Decision`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Where a document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Folder,
    Imap,
    Upload,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Folder => "folder",
            SourceKind::Imap => "imap",
            SourceKind::Upload => "upload",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "folder" => Some(SourceKind::Folder),
            "imap" => Some(SourceKind::Imap),
            "upload" => Some(SourceKind::Upload),
            _ => None,
        }
    }
}

/// Bytes that arrived from a source, before they are stored.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub source: SourceKind,
    /// Which folder or mailbox it came from (shown to reviewers, used for filters).
    pub origin: String,
    pub file_name: String,
    pub sender: Option<String>,
    pub received_at: DateTime<Utc>,
    pub bytes: Vec<u8>,
}

/// A stored original. The bytes live in the content-addressed archive under `sha256`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: i64,
    pub source: SourceKind,
    pub origin: String,
    pub file_name: String,
    pub sender: Option<String>,
    pub received_at: DateTime<Utc>,
    pub sha256: String,
    pub media_type: String,
    pub size: u64,
}

/// The kind of input file, as named in the extraction JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Pdf,
    Eml,
    Txt,
    /// An EDI interchange (ANSI X12 or UN/EDIFACT), recognised by its envelope.
    Edi,
    /// A scanned or faxed image (PNG, JPEG, TIFF), read by OCR.
    Image,
}

impl DocKind {
    pub fn media_type(self) -> &'static str {
        match self {
            DocKind::Pdf => "application/pdf",
            DocKind::Eml => "message/rfc822",
            DocKind::Txt => "text/plain",
            // EDI is text; stored as such so a reviewer can read the original in the browser.
            DocKind::Edi => "text/plain",
            // PNG, JPEG or TIFF: served as a download, never rendered in our origin.
            DocKind::Image => "application/octet-stream",
        }
    }
}

/// Where on the document a value was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SourceSpan {
    /// Index of the part (email body / attachment) the value came from.
    pub part: u32,
    /// 1-based page number.
    pub page: u32,
    /// x0, y0, x1, y1 in page units, top-left origin.
    pub bbox: [f32; 4],
    /// The words as printed.
    pub text: String,
}

/// The standard and reduced VAT/GST rates of Europe, the UK and India, in percent: a total
/// (or a tax-inclusive line amount) above the sum of what it is made of by one of these is
/// explained by tax. The rules' default `tax_rates_pct`; the extractor's evidence pass.
pub const COMMON_TAX_RATES_PCT: [f64; 18] = [
    5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 12.0, 13.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0,
    24.0, 25.0,
];

/// One extracted value with how sure the extractor is and where it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field<T> {
    pub value: T,
    /// 0.0 ..= 1.0.
    pub confidence: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceSpan>,
}

impl<T> Field<T> {
    /// A value typed or confirmed by a person or given in a file: fully trusted.
    pub fn certain(value: T) -> Self {
        Field {
            value,
            confidence: 1.0,
            source: None,
        }
    }

    pub fn new(value: T, confidence: f32, source: Option<SourceSpan>) -> Self {
        Field {
            value,
            confidence,
            source,
        }
    }
}

/// One item line of a purchase order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LineItem {
    /// 1-based position on the order.
    pub line_no: u32,
    pub sku: Option<Field<String>>,
    pub customer_part: Option<Field<String>>,
    pub description: Option<Field<String>>,
    pub quantity: Option<Field<f64>>,
    pub uom: Option<Field<String>>,
    pub unit_price: Option<Field<f64>>,
    pub amount: Option<Field<f64>>,
    /// A discount printed on the line, in percent (5 = 5 % off quantity x price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_pct: Option<Field<f64>>,
    /// How many units the unit price is for: 1 (also when absent), 100 or 1000 ("per 100").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_unit: Option<Field<f64>>,
}

impl LineItem {
    /// Where the line's code, description and figures were read, those that say.
    pub fn sources(&self) -> impl Iterator<Item = &SourceSpan> {
        [
            self.sku.as_ref().and_then(|f| f.source.as_ref()),
            self.customer_part.as_ref().and_then(|f| f.source.as_ref()),
            self.description.as_ref().and_then(|f| f.source.as_ref()),
            self.quantity.as_ref().and_then(|f| f.source.as_ref()),
            self.unit_price.as_ref().and_then(|f| f.source.as_ref()),
            self.amount.as_ref().and_then(|f| f.source.as_ref()),
        ]
        .into_iter()
        .flatten()
    }

    /// The price-unit divisor: the printed one when it is a positive number, else 1.
    pub fn price_per(&self) -> f64 {
        self.price_unit
            .as_ref()
            .map(|f| f.value)
            .filter(|v| v.is_finite() && *v > 0.0)
            .unwrap_or(1.0)
    }

    /// A credit or discount line printed among the items ("Discount / credit note 4471",
    /// -5.00): no item code and a negative amount (or price). It lowers the total and is
    /// checked by the arithmetic, not matched against the catalog.
    pub fn is_credit(&self) -> bool {
        let blank =
            |f: &Option<Field<String>>| f.as_ref().is_none_or(|f| f.value.trim().is_empty());
        let negative = |f: &Option<Field<f64>>| f.as_ref().is_some_and(|f| f.value < 0.0);
        blank(&self.sku)
            && blank(&self.customer_part)
            && (negative(&self.amount) || (self.amount.is_none() && negative(&self.unit_price)))
    }

    /// The share of quantity x price that is charged: 1 - discount/100 (1 without one).
    pub fn net_factor(&self) -> f64 {
        self.discount_pct
            .as_ref()
            .map(|f| f.value)
            .filter(|v| v.is_finite() && (0.0..100.0).contains(v))
            .map_or(1.0, |d| 1.0 - d / 100.0)
    }
}

/// Set where `f` was read; `certain` when a person read it there (clicked its words on the
/// page): the value is then certain too. `false` when there is no value to place.
fn place_field<T>(f: &mut Option<Field<T>>, span: SourceSpan, certain: bool) -> bool {
    match f {
        Some(f) => {
            f.source = Some(span);
            if certain {
                f.confidence = 1.0;
            }
            true
        }
        None => false,
    }
}

impl LineItem {
    /// Where the item field `name` (`sku`, `quantity`, ... as the edit form names it) was read.
    pub fn source_of(&self, name: &str) -> Option<&SourceSpan> {
        fn s<T>(f: &Option<Field<T>>) -> Option<&SourceSpan> {
            f.as_ref()?.source.as_ref()
        }
        match name {
            "sku" => s(&self.sku),
            "customer_part" => s(&self.customer_part),
            "description" => s(&self.description),
            "quantity" => s(&self.quantity),
            "uom" => s(&self.uom),
            "unit_price" => s(&self.unit_price),
            "amount" => s(&self.amount),
            "discount_pct" => s(&self.discount_pct),
            "price_unit" => s(&self.price_unit),
            _ => None,
        }
    }

    /// Place item field `name` at `span`: a person read it there (the value is certain).
    pub fn place(&mut self, name: &str, span: SourceSpan) -> bool {
        self.locate(name, span, true)
    }

    /// Set where item field `name` was read, its confidence unchanged.
    pub fn set_source(&mut self, name: &str, span: SourceSpan) -> bool {
        self.locate(name, span, false)
    }

    fn locate(&mut self, name: &str, span: SourceSpan, certain: bool) -> bool {
        let c = certain;
        match name {
            "sku" => place_field(&mut self.sku, span, c),
            "customer_part" => place_field(&mut self.customer_part, span, c),
            "description" => place_field(&mut self.description, span, c),
            "quantity" => place_field(&mut self.quantity, span, c),
            "uom" => place_field(&mut self.uom, span, c),
            "unit_price" => place_field(&mut self.unit_price, span, c),
            "amount" => place_field(&mut self.amount, span, c),
            "discount_pct" => place_field(&mut self.discount_pct, span, c),
            "price_unit" => place_field(&mut self.price_unit, span, c),
            _ => false,
        }
    }
}

/// Rows that change the total but are not item lines (the totals block, or charge rows in
/// the item table). Stable snake_case names: part of the extraction contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    Freight,
    Handling,
    Surcharge,
    Discount,
    Tax,
    Rounding,
    Other,
}

impl ChargeKind {
    pub const ALL: [ChargeKind; 7] = [
        ChargeKind::Freight,
        ChargeKind::Handling,
        ChargeKind::Surcharge,
        ChargeKind::Discount,
        ChargeKind::Tax,
        ChargeKind::Rounding,
        ChargeKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChargeKind::Freight => "freight",
            ChargeKind::Handling => "handling",
            ChargeKind::Surcharge => "surcharge",
            ChargeKind::Discount => "discount",
            ChargeKind::Tax => "tax",
            ChargeKind::Rounding => "rounding",
            ChargeKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Charge {
    pub kind: ChargeKind,
    /// As printed ("Fracht", "MwSt. 19 %").
    pub label: String,
    /// The printed rate in percent (19 for "VAT 19 %"), if any.
    #[serde(default)]
    pub rate_pct: Option<f64>,
    /// Signed: a discount or credit is negative.
    pub amount: Field<f64>,
}

impl Charge {
    /// The amount with the sign the total needs: a discount printed without its minus
    /// still lowers the total.
    pub fn signed(&self) -> f64 {
        let v = self.amount.value;
        if self.kind == ChargeKind::Discount && v > 0.0 {
            -v
        } else {
            v
        }
    }
}

/// The fields whose value differs between `before` and `after` (a reviewer's edit), named as
/// the edit form names them: header fields (`po_number`, `total`, ...), `line.<field>` for an
/// item field on a line both have (`line.sku`, `line.quantity`, ...), `lines` when lines were
/// added or removed, `charges` when the charges differ. Confidence and source are not
/// compared: confirming a value is no correction. Each name appears once, sorted.
pub fn changed_fields(before: &Order, after: &Order) -> Vec<String> {
    fn v<T: Clone>(f: &Option<Field<T>>) -> Option<T> {
        f.as_ref().map(|f| f.value.clone())
    }
    let mut out = std::collections::BTreeSet::new();
    let header = [
        ("po_number", v(&before.po_number) != v(&after.po_number)),
        ("order_date", v(&before.order_date) != v(&after.order_date)),
        ("buyer", v(&before.buyer) != v(&after.buyer)),
        ("currency", v(&before.currency) != v(&after.currency)),
        ("ship_to", v(&before.ship_to) != v(&after.ship_to)),
        ("subtotal", v(&before.subtotal) != v(&after.subtotal)),
        ("total", v(&before.total) != v(&after.total)),
    ];
    out.extend(
        header
            .iter()
            .filter(|(_, d)| *d)
            .map(|(n, _)| n.to_string()),
    );
    if before.lines.len() != after.lines.len() {
        out.insert("lines".to_string());
    }
    for (a, b) in before.lines.iter().zip(&after.lines) {
        let line = [
            ("sku", v(&a.sku) != v(&b.sku)),
            ("customer_part", v(&a.customer_part) != v(&b.customer_part)),
            ("description", v(&a.description) != v(&b.description)),
            ("quantity", v(&a.quantity) != v(&b.quantity)),
            ("uom", v(&a.uom) != v(&b.uom)),
            ("unit_price", v(&a.unit_price) != v(&b.unit_price)),
            ("price_unit", v(&a.price_unit) != v(&b.price_unit)),
            ("discount_pct", v(&a.discount_pct) != v(&b.discount_pct)),
            ("amount", v(&a.amount) != v(&b.amount)),
        ];
        out.extend(
            line.iter()
                .filter(|(_, d)| *d)
                .map(|(n, _)| format!("line.{n}")),
        );
    }
    let charge = |c: &Charge| (c.kind, c.label.clone(), c.rate_pct, c.amount.value);
    if before
        .charges
        .iter()
        .map(charge)
        .ne(after.charges.iter().map(charge))
    {
        out.insert("charges".to_string());
    }
    out.into_iter().collect()
}

/// One extracted purchase order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Order {
    pub po_number: Option<Field<String>>,
    pub order_date: Option<Field<NaiveDate>>,
    pub buyer: Option<Field<String>>,
    pub currency: Option<Field<String>>,
    pub ship_to: Option<Field<String>>,
    pub total: Option<Field<f64>>,
    pub lines: Vec<LineItem>,
    /// The printed sum of the item lines, before charges and tax.
    #[serde(default)]
    pub subtotal: Option<Field<f64>>,
    #[serde(default)]
    pub charges: Vec<Charge>,
    /// Which part of the input this order was read from (e.g. "body" or an attachment name).
    #[serde(default)]
    pub part: Option<String>,
    /// The learned layout this order was read with, if any (issue 18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<LayoutUse>,
}

/// How an order was read with a layout learned from an earlier approved order: shown on
/// the item page; `changed` fields (their anchor moved or vanished) were read generically
/// and are a `layout_changed` exception.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LayoutUse {
    pub layout_id: i64,
    /// The order the layout was learned from.
    pub learned_from: i64,
    pub customer_id: Option<String>,
    pub approved_by: String,
    pub learned_at: String,
    /// Share of the layout's static words found in place.
    pub score: f32,
    /// Fields read through the layout (header names, `lines` for the items).
    #[serde(default)]
    pub read: Vec<String>,
    /// Fields whose anchor was not found in place: read generically.
    #[serde(default)]
    pub changed: Vec<String>,
    /// Milliseconds spent matching and reading with the layout (after the generic read).
    #[serde(default)]
    pub ms: f32,
}

impl Order {
    /// Where the header field `name` (`po_number`, `total`, ... as the edit form names it)
    /// was read.
    pub fn source_of(&self, name: &str) -> Option<&SourceSpan> {
        fn s<T>(f: &Option<Field<T>>) -> Option<&SourceSpan> {
            f.as_ref()?.source.as_ref()
        }
        match name {
            "po_number" => s(&self.po_number),
            "order_date" => s(&self.order_date),
            "buyer" => s(&self.buyer),
            "currency" => s(&self.currency),
            "ship_to" => s(&self.ship_to),
            "total" => s(&self.total),
            "subtotal" => s(&self.subtotal),
            _ => None,
        }
    }

    /// Place header field `name` at `span`: a person read it there (the value is certain).
    /// `false` when the order has no such value.
    pub fn place(&mut self, name: &str, span: SourceSpan) -> bool {
        self.locate(name, span, true)
    }

    /// Set where header field `name` was read, its confidence unchanged.
    pub fn set_source(&mut self, name: &str, span: SourceSpan) -> bool {
        self.locate(name, span, false)
    }

    fn locate(&mut self, name: &str, span: SourceSpan, certain: bool) -> bool {
        let c = certain;
        match name {
            "po_number" => place_field(&mut self.po_number, span, c),
            "order_date" => place_field(&mut self.order_date, span, c),
            "buyer" => place_field(&mut self.buyer, span, c),
            "currency" => place_field(&mut self.currency, span, c),
            "ship_to" => place_field(&mut self.ship_to, span, c),
            "total" => place_field(&mut self.total, span, c),
            "subtotal" => place_field(&mut self.subtotal, span, c),
            _ => false,
        }
    }

    /// Apply `f` to the confidence of every value of the order (header, lines, charges):
    /// how a reader says "less sure than usual" about a whole order (OCR, a damaged EDI
    /// message).
    pub fn map_confidence(&mut self, f: impl Fn(f32) -> f32) {
        fn one<T>(v: &mut Option<Field<T>>, f: &impl Fn(f32) -> f32) {
            if let Some(v) = v.as_mut() {
                v.confidence = f(v.confidence);
            }
        }
        one(&mut self.po_number, &f);
        one(&mut self.order_date, &f);
        one(&mut self.buyer, &f);
        one(&mut self.currency, &f);
        one(&mut self.ship_to, &f);
        one(&mut self.total, &f);
        one(&mut self.subtotal, &f);
        for l in &mut self.lines {
            one(&mut l.sku, &f);
            one(&mut l.customer_part, &f);
            one(&mut l.description, &f);
            one(&mut l.quantity, &f);
            one(&mut l.uom, &f);
            one(&mut l.unit_price, &f);
            one(&mut l.amount, &f);
            one(&mut l.discount_pct, &f);
            one(&mut l.price_unit, &f);
        }
        for c in &mut self.charges {
            c.amount.confidence = f(c.amount.confidence);
        }
    }
}

/// Every kind of problem the rules can find. Stable snake_case codes are part of the CLI/API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionCode {
    UnknownCustomer,
    UnknownSku,
    PriceMismatch,
    CurrencyMismatch,
    ArithmeticMismatch,
    PackMultiple,
    UomMismatch,
    InsufficientStock,
    DuplicatePo,
    MissingField,
    LowConfidence,
    /// The document matches a learned layout of its customer only in part: a field's
    /// label or the item table's header moved or changed (issue 18).
    LayoutChanged,
}

impl ExceptionCode {
    pub const ALL: [ExceptionCode; 12] = [
        ExceptionCode::UnknownCustomer,
        ExceptionCode::UnknownSku,
        ExceptionCode::PriceMismatch,
        ExceptionCode::CurrencyMismatch,
        ExceptionCode::ArithmeticMismatch,
        ExceptionCode::PackMultiple,
        ExceptionCode::UomMismatch,
        ExceptionCode::InsufficientStock,
        ExceptionCode::DuplicatePo,
        ExceptionCode::MissingField,
        ExceptionCode::LowConfidence,
        ExceptionCode::LayoutChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionCode::UnknownCustomer => "unknown_customer",
            ExceptionCode::UnknownSku => "unknown_sku",
            ExceptionCode::PriceMismatch => "price_mismatch",
            ExceptionCode::CurrencyMismatch => "currency_mismatch",
            ExceptionCode::ArithmeticMismatch => "arithmetic_mismatch",
            ExceptionCode::PackMultiple => "pack_multiple",
            ExceptionCode::UomMismatch => "uom_mismatch",
            ExceptionCode::InsufficientStock => "insufficient_stock",
            ExceptionCode::DuplicatePo => "duplicate_po",
            ExceptionCode::MissingField => "missing_field",
            ExceptionCode::LowConfidence => "low_confidence",
            ExceptionCode::LayoutChanged => "layout_changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A fix the reviewer can apply with one click: set `field` (on `line`, or the header) to `value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub field: String,
    pub value: String,
    /// Why this value, for the reviewer ("catalog price", "closest code AB-100").
    pub label: String,
}

/// A problem found on an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exception {
    pub code: ExceptionCode,
    /// 1-based line number, or `None` for the header.
    pub line: Option<u32>,
    pub message: String,
    pub suggestion: Option<Suggestion>,
}

/// Where an order goes next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Decision {
    /// No exceptions: straight to the OMS outbox.
    Accept,
    /// At least one exception: a person looks at it.
    Review,
    /// The input itself could not be read (encrypted, broken, no text, no order).
    RejectedInput { reason: String },
}

impl Decision {
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Accept => "accept",
            Decision::Review => "review",
            Decision::RejectedInput { .. } => "rejected_input",
        }
    }

    pub fn from_exceptions(exceptions: &[Exception]) -> Decision {
        if exceptions.is_empty() {
            Decision::Accept
        } else {
            Decision::Review
        }
    }
}

/// Lifecycle of a stored order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Waiting for a reviewer.
    Review,
    /// Accepted by the rules or approved by a reviewer; queued in the outbox.
    Accepted,
    Rejected,
    Delivered,
    DeliveryFailed,
}

impl OrderState {
    pub const ALL: [OrderState; 5] = [
        OrderState::Review,
        OrderState::Accepted,
        OrderState::Rejected,
        OrderState::Delivered,
        OrderState::DeliveryFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Review => "review",
            OrderState::Accepted => "accepted",
            OrderState::Rejected => "rejected",
            OrderState::Delivered => "delivered",
            OrderState::DeliveryFailed => "delivery_failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What the rules learned about one line: how its SKU was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    Exact,
    Crossref,
    Normalised,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineMatch {
    pub line_no: u32,
    pub matched_sku: Option<String>,
    #[serde(rename = "match")]
    pub kind: MatchKind,
    /// The line's unit as a code (a printed "Stück" is EA; a customer's learned word is its
    /// code); the catalog unit when none was printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uom_code: Option<String>,
}

/// The full result of running the rules on one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub customer_id: Option<String>,
    /// The order's currency: as printed, else the customer's default (`customers.csv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub exceptions: Vec<Exception>,
    pub lines: Vec<LineMatch>,
}

impl CheckResult {
    pub fn decision(&self) -> Decision {
        Decision::from_exceptions(&self.exceptions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, qty: f64) -> LineItem {
        LineItem {
            line_no: 1,
            sku: Some(Field::certain(sku.into())),
            quantity: Some(Field::certain(qty)),
            ..LineItem::default()
        }
    }

    #[test]
    fn changed_fields_names_the_values_a_reviewer_changed_and_nothing_else() {
        let before = Order {
            po_number: Some(Field {
                value: "PO-1".into(),
                confidence: 0.4,
                source: None,
            }),
            lines: vec![line("A", 1.0), line("B", 2.0)],
            ..Order::default()
        };
        // Confirming a value (full confidence, same value) is no correction.
        let mut after = before.clone();
        after.po_number = Some(Field::certain("PO-1".into()));
        assert!(changed_fields(&before, &after).is_empty());

        after.lines[1].quantity = Some(Field::certain(3.0));
        after.lines[1].uom = Some(Field::certain("EA".into()));
        after.total = Some(Field::certain(10.0));
        assert_eq!(
            changed_fields(&before, &after),
            ["line.quantity", "line.uom", "total"]
        );

        let mut after = before.clone();
        after.lines.pop();
        after.charges.push(Charge {
            kind: ChargeKind::Freight,
            label: "Freight".into(),
            rate_pct: None,
            amount: Field::certain(5.0),
        });
        assert_eq!(changed_fields(&before, &after), ["charges", "lines"]);
    }
}
