//! Unit tests of learning and reading a layout on text documents (positions from the
//! monospace grid of `text_to_doc`).

use super::geometry::Doc;
use super::*;
use crate::domain::{Field, LineItem, Order};
use crate::parse::text_to_doc;

fn doc(text: &str) -> Doc {
    Doc::new(&text_to_doc(text))
}

fn po(po: &str, date: &str, lines: &[(&str, &str, f64, f64)], total: &str) -> String {
    let mut s = format!(
        "ACME INDUSTRIAL SUPPLY          PURCHASE ORDER\n\
         Harbour Road 5, Bristol\n\
         \n\
         PO Number: {po}          Order Date: {date}\n\
         Buyer: Acme Industrial\n\
         \n\
         Item          Description              Qty      Price      Amount\n"
    );
    for (sku, desc, q, p) in lines {
        s.push_str(&format!(
            "{sku:<14}{desc:<25}{q:>3}  {p:>9.2}  {:>10.2}\n",
            q * p
        ));
    }
    s.push_str(&format!(
        "\n                                          Total:   {total}\n"
    ));
    s
}

fn gold(po: &str, date: (i32, u32, u32), lines: &[(&str, &str, f64, f64)], total: f64) -> Order {
    Order {
        po_number: Some(Field::certain(po.into())),
        order_date: chrono::NaiveDate::from_ymd_opt(date.0, date.1, date.2).map(Field::certain),
        buyer: Some(Field::certain("Acme Industrial".into())),
        total: Some(Field::certain(total)),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, desc, q, p))| LineItem {
                line_no: i as u32 + 1,
                sku: Some(Field::certain(sku.to_string())),
                description: Some(Field::certain(desc.to_string())),
                quantity: Some(Field::certain(*q)),
                unit_price: Some(Field::certain(*p)),
                amount: Some(Field::certain(((q * p) * 100.0).round() / 100.0)),
                ..LineItem::default()
            })
            .collect(),
        ..Order::default()
    }
}

const FIRST: [(&str, &str, f64, f64); 2] = [
    ("AB-100", "Widget small", 10.0, 1.5),
    ("CD-200", "Gadget large", 2.0, 12.25),
];
const SECOND: [(&str, &str, f64, f64); 3] = [
    ("XY-9", "Bolt M8 zinc", 100.0, 0.12),
    ("AB-100", "Widget small", 4.0, 1.5),
    ("QQ-77", "Nut M8", 50.0, 0.05),
];

#[test]
fn a_layout_learned_from_one_order_reads_the_next_exactly() {
    let first = doc(&po("4711", "2025-03-07", &FIRST, "39.50"));
    let layout = learn(&gold("4711", (2025, 3, 7), &FIRST, 39.5), &first).expect("learned");
    let names: Vec<&str> = layout.fields.iter().map(|f| f.field.as_str()).collect();
    assert!(
        names.contains(&"po_number") && names.contains(&"total"),
        "{names:?}"
    );
    assert!(layout.table.is_some());
    let second = doc(&po("4802", "2025-04-01", &SECOND, "8.50"));
    assert!(score(&layout, &second) >= MATCH);
    let applied = overlay(&layout, &second, &Order::default());
    assert!(applied.changed.is_empty(), "{:?}", applied.changed);
    let want = gold("4802", (2025, 4, 1), &SECOND, 8.5);
    let o = &applied.order;
    assert_eq!(o.po_number.as_ref().map(|f| f.value.as_str()), Some("4802"));
    assert_eq!(
        o.order_date.as_ref().map(|f| f.value),
        want.order_date.map(|f| f.value)
    );
    assert_eq!(o.total.as_ref().map(|f| f.value), Some(8.5));
    assert!(table::same_lines(&o.lines, &want.lines), "{:#?}", o.lines);
}

#[test]
fn a_new_column_or_a_moved_label_is_not_read_with_the_layout() {
    let first = doc(&po("4711", "2025-03-07", &FIRST, "39.50"));
    let layout = learn(&gold("4711", (2025, 3, 7), &FIRST, 39.5), &first).expect("learned");
    // A column added to the table: the header differs, the items are not read.
    let text = po("4802", "2025-04-01", &SECOND, "8.50")
        .replace("Qty      Price      Amount", "Qty  Disc  Price  Amount");
    let changed = doc(&text);
    let applied = overlay(&layout, &changed, &Order::default());
    assert!(applied.changed.contains(&"lines".to_string()));
    assert!(applied.order.lines.is_empty());
    // The PO number's label moved to another place: that field is not read.
    let text = po("4802", "2025-04-01", &SECOND, "8.50").replace(
        "PO Number: 4802          Order Date",
        "                         Order Date",
    ) + "PO Number: 4802\n";
    let moved = doc(&text);
    let applied = overlay(&layout, &moved, &Order::default());
    assert!(applied.changed.contains(&"po_number".to_string()));
    assert!(applied.order.po_number.is_none());
}

/// The box of the word `text` on the line that holds `on_line` (a test document's grid).
fn span_of(d: &Doc, on_line: &str, text: &str) -> crate::domain::SourceSpan {
    let line = d
        .lines
        .iter()
        .find(|l| l.words.iter().any(|w| w.text == on_line))
        .expect("the line");
    let w = line
        .words
        .iter()
        .find(|w| w.text == text)
        .expect("the word");
    crate::domain::SourceSpan {
        part: w.part,
        page: w.page,
        bbox: w.bbox,
        text: w.text.clone(),
    }
}

/// Issue 18 item 4: a value the reviewer placed by clicking its words on the item page is
/// learned where it was clicked, not where its text happens to be found first.
#[test]
fn a_clicked_box_teaches_where_a_value_printed_twice_is_read() {
    let text = format!(
        "Ref 4711 Internal\n{}",
        po("4711", "2025-03-07", &FIRST, "39.50")
    );
    let d = doc(&text);
    let mut order = gold("4711", (2025, 3, 7), &FIRST, 39.5);
    let po_rule = |o: &Order| {
        learn(o, &d)
            .and_then(|l| l.fields.into_iter().find(|f| f.field == "po_number"))
            .expect("a po_number rule")
    };
    // Found by its text alone, the first "4711" is taken: the one after "Ref".
    assert_eq!(po_rule(&order).label, ["Ref"]);
    let clicked = span_of(&d, "Number:", "4711");
    assert!(order.place("po_number", clicked.clone()));
    let rule = po_rule(&order);
    assert_eq!(rule.label, ["PO", "Number:"]);
    assert_eq!(rule.learned_value, clicked.bbox);
    // And the next document of the form is read from there.
    let layout = learn(&order, &d).expect("learned");
    let next = doc(&format!(
        "Ref 9999 Internal\n{}",
        po("4802", "2025-04-01", &SECOND, "8.50")
    ));
    let applied = overlay(&layout, &next, &Order::default());
    assert_eq!(
        applied.order.po_number.as_ref().map(|f| f.value.as_str()),
        Some("4802")
    );
}

/// A quantity equal to its row's position number: found by value alone the position is
/// taken and no clean column bands exist; the quantities' boxes put the column right.
#[test]
fn item_boxes_tell_a_quantity_from_the_position_number() {
    let text = "ACME INDUSTRIAL SUPPLY          PURCHASE ORDER\n\
                \n\
                PO Number: 4711\n\
                \n\
                Pos  Item        Description      Qty     Price     Amount\n\
                1    AB-100      Widget small      10      1.50      15.00\n\
                2    CD-200      Gadget large       2     12.25      24.50\n\
                \n\
                Total: 39.50\n";
    let d = doc(text);
    let mut order = gold("4711", (2025, 3, 7), &FIRST, 39.5);
    order.order_date = None;
    order.buyer = None;
    assert!(
        table::learn(&order, &d).is_none(),
        "without boxes the quantity 2 is the position 2"
    );
    for (i, (code, q)) in [("AB-100", "10"), ("CD-200", "2")].into_iter().enumerate() {
        // The row's last word `q` is the quantity (a first "2" is the position).
        let w = d
            .lines
            .iter()
            .find(|l| l.words.iter().any(|w| w.text == code))
            .and_then(|l| l.words.iter().rev().find(|w| w.text == q))
            .expect("the quantity");
        let s = crate::domain::SourceSpan {
            part: w.part,
            page: w.page,
            bbox: w.bbox,
            text: w.text.clone(),
        };
        assert!(order.lines[i].place("quantity", s));
    }
    let rule = table::learn(&order, &d).expect("a table with the boxes");
    let qty = rule
        .columns
        .iter()
        .find(|c| c.field.as_deref() == Some("quantity"))
        .expect("a quantity column");
    assert!(qty.x0 > 40.0, "{qty:?}");
    let back = rule.read(&d).expect("read back");
    assert!(table::same_lines(&back.lines, &order.lines));
}

#[test]
fn a_note_the_generic_reader_left_out_stays_out_of_a_learned_tables_description() {
    let item = |desc: &str, amount: f64| LineItem {
        line_no: 1,
        sku: Some(Field::certain("AB-100".into())),
        description: Some(Field::certain(desc.into())),
        quantity: Some(Field::certain(4.0)),
        amount: Some(Field::certain(amount)),
        ..LineItem::default()
    };
    let generic = [item("Countersunk screw, box of 50", 100.2)];
    let mut learned = [item(
        "Countersunk screw, box of 50 Ref. quotation Q-16407",
        100.2,
    )];
    keep_notes_out(&mut learned, &generic);
    let desc = |l: &LineItem| l.description.as_ref().map(|d| d.value.clone());
    assert_eq!(
        desc(&learned[0]).as_deref(),
        Some("Countersunk screw, box of 50")
    );
    // Another item (another amount), or a generic description that is not the start of
    // the layout's: the layout's reading stands.
    let mut other = [item(
        "Countersunk screw, box of 50 Ref. quotation Q-16407",
        99.0,
    )];
    keep_notes_out(&mut other, &generic);
    assert!(desc(&other[0]).is_some_and(|d| d.ends_with("Q-16407")));
    let mut unlike = [item("Hex screw, box of 50 extra", 100.2)];
    keep_notes_out(&mut unlike, &generic);
    assert_eq!(
        desc(&unlike[0]).as_deref(),
        Some("Hex screw, box of 50 extra")
    );
}

/// The labels learned for the PO number and the date of `text` (a header block).
fn header_labels(text: &str, po: &str, date: (i32, u32, u32)) -> [Option<String>; 2] {
    let order = Order {
        po_number: Some(Field::certain(po.into())),
        order_date: chrono::NaiveDate::from_ymd_opt(date.0, date.1, date.2).map(Field::certain),
        ..Order::default()
    };
    let rules = fields::learn(&order, &doc(text), None, None);
    ["po_number", "order_date"].map(|f| {
        rules
            .iter()
            .find(|r| r.field == f)
            .map(|r| r.label.join(" "))
    })
}

#[test]
fn a_value_in_a_row_of_values_under_a_row_of_labels_is_placed_by_the_label_over_it() {
    let [po, date] = header_labels(
        "ACME INDUSTRIAL SUPPLY                 PURCHASE ORDER\n\
         \n\
         Order No.       Contact          PO Date\n\
         PO-4711         Rashid Nair      17/04/2024\n",
        "PO-4711",
        (2024, 4, 17),
    );
    // Not "Rashid Nair", a contact's name that changes with every order.
    assert_eq!(date.as_deref(), Some("PO Date"));
    assert!(po.is_some_and(|l| l.starts_with("Order")));
}

#[test]
fn a_label_beside_its_value_stays_its_label_under_another_label_value_pair() {
    let [_, date] = header_labels(
        "ACME INDUSTRIAL SUPPLY                 PURCHASE ORDER\n\
         \n\
         PO #            B94412\n\
         Date Issued     18/05/2023\n",
        "B94412",
        (2023, 5, 18),
    );
    assert_eq!(date.as_deref(), Some("Date Issued"));
}

#[test]
fn a_date_printed_day_first_teaches_day_first_though_every_order_reads_it() {
    // "18/03/2025" is 18 March however it is read (there is no month 18); the next order's
    // "05/10/2025" is then 5 October, as the customer prints it.
    let first = doc(&po("4711", "18/03/2025", &FIRST, "39.50"));
    let layout = learn(&gold("4711", (2025, 3, 18), &FIRST, 39.5), &first).expect("learned");
    let second = doc(&po("4802", "05/10/2025", &SECOND, "8.50"));
    let applied = overlay(&layout, &second, &Order::default());
    assert_eq!(
        applied.order.order_date.as_ref().map(|f| f.value),
        chrono::NaiveDate::from_ymd_opt(2025, 10, 5)
    );
    // Printed month first, the next order is read month first.
    let first = doc(&po("4711", "03/18/2025", &FIRST, "39.50"));
    let layout = learn(&gold("4711", (2025, 3, 18), &FIRST, 39.5), &first).expect("learned");
    let applied = overlay(&layout, &second, &Order::default());
    assert_eq!(
        applied.order.order_date.as_ref().map(|f| f.value),
        chrono::NaiveDate::from_ymd_opt(2025, 5, 10)
    );
}
