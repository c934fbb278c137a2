"""`intl_form`: purchase orders with the variety real ones show, in six languages (EN, DE, FR,
NL, ES, IT).

Every axis is drawn independently per document:
- header wording: title, PO number / date / contact / ship-to / bill-to / vendor labels and the
  item-table column heads in the document's language;
- the order facts as label-value pairs with the value right of the label (a key-value list,
  left or right), below it (a grid of labelled cells, or a column of "label / value" lines),
  run together on one line, or in the title ("Bestellung Nr. 4711");
- header blocks: letterhead left, right or centred; facts left or right of the addresses, or
  between them; vendor / ship-to / bill-to side by side in any order or stacked;
- phone and fax numbers printed on the line of (or right before) the PO number;
- item tables: column set and order, one or two tables (sections with their own heads), a tax
  summary table (HSN / VAT rates) that holds numbers but no items, multi-page tables with
  repeated heads and carried totals;
- rows under a line: delivery schedules (a date and a part quantity, as text or in the date and
  quantity columns), long texts and notes of 1-3 lines;
- charges (freight, surcharge, VAT / GST / IVA / IVU) in the totals block or as rows of the item
  table (then they are gold lines, as the real-document conventions say), discounts per line;
- prices per 100 / per 1000 (a "per" column or "/100" after the price; gold keeps the printed
  price);
- US, EU, French, Indian (1,23,456.00) number styles and language-specific dates.
Nothing here copies a real document: the wording is common business vocabulary per language.
"""

import datetime as dt

import families as F
import orders as O
import pools

LANG_OF = {"US": "en", "UK": "en", "IN": "en", "AE": "en", "DE": "de", "FR": "fr", "NL": "nl", "ES": "es", "IT": "it"}
COUNTRIES = ["US", "US", "UK", "IN", "IN", "AE", "DE", "DE", "FR", "FR", "NL", "NL", "ES", "ES", "IT", "IT"]

T = {
    "en": dict(title=["PURCHASE ORDER", "Purchase Order", "PURCHASE ORDER", "Order", "Purchase Order (Original)"],
               po=["PO Number", "PO No.", "Order No.", "Purchase Order No.", "P.O. #", "Order Number", "PO #"],
               date=["Date", "Order Date", "PO Date", "Dated", "Issue Date"],
               contact=["Buyer", "Contact", "Requested by", "Purchaser"],
               ship=["Ship To", "Deliver To", "Delivery Address", "Consignee", "Ship-to address"],
               bill=["Bill To", "Invoice To", "Invoice Address"], vendor=["Vendor", "Supplier", "To", "Vendor Address"],
               phone=["Tel", "Phone", "Tel."], taxid=["VAT No.", "GSTIN", "Tax ID", "PAN"],
               terms=["Payment terms: Net 30", "Payment: 45 days from invoice", "Terms: 2% 10 Net 30", "Payment terms: 60 days"],
               cur="Currency", sub=["Subtotal", "Net Total", "Total before tax", "Taxable value"],
               freight=["Freight", "Freight charges", "Packing & forwarding", "Shipping"],
               surcharge=["Surcharge", "Fuel surcharge", "Handling charges"], discount=["Discount", "Special discount"],
               total=["Total", "Grand Total", "Order Total", "Total Amount", "TOTAL", "Total Order Value"],
               cfwd=["Carried forward", "Subtotal c/f", "Total carried forward"], bfwd=["Brought forward", "Balance b/f"],
               sched=["Delivery {d} Qty {q}", "Sched. {d}: {q} {u}", "Due {d} - {q} {u}", "Delivery date {d}, quantity {q}"],
               note=["Note:", "Item text:", "Remarks:", ""], per=["Per", "Price Unit", "PU"], sect=["Materials", "Spare parts", "Services", "Consumables"],
               notes=["Material must be supplied with test certificate.", "Packing: export worthy, marked with PO and item number.",
                      "Drawing and specification as per our enquiry.", "Supply within the delivery date; late delivery may be refused.",
                      "Please quote this order number on invoice and delivery note."],
               sign=["Authorised signatory", "For and on behalf of", "Approved by"], page="Page {p} of {n}"),
    "de": dict(title=["Bestellung", "BESTELLUNG", "Auftrag", "Bestellung / Purchase Order"],
               po=["Bestell-Nr.", "Bestellnummer", "Auftragsnummer", "Bestellung Nr.", "Beleg-Nr."],
               date=["Datum", "Bestelldatum", "Belegdatum", "vom"], contact=["Ansprechpartner", "Einkäufer", "Sachbearbeiter"],
               ship=["Lieferanschrift", "Lieferadresse", "Warenempfänger", "Anlieferadresse"],
               bill=["Rechnungsanschrift", "Rechnungsadresse"], vendor=["Lieferant", "An", "Lieferantenanschrift"],
               phone=["Tel.", "Telefon"], taxid=["USt-IdNr.", "Steuer-Nr."],
               terms=["Zahlungsbedingungen: 30 Tage netto", "Zahlung: 14 Tage 2 % Skonto, 30 Tage netto", "Lieferbedingung: frei Haus"],
               cur="Währung", sub=["Nettobetrag", "Summe netto", "Warenwert", "Zwischensumme"],
               freight=["Fracht", "Versandkosten", "Verpackung und Fracht"], surcharge=["Zuschlag", "Mindermengenzuschlag", "Legierungszuschlag"],
               discount=["Rabatt", "Sonderrabatt"], total=["Gesamtbetrag", "Endbetrag", "Gesamtsumme", "Bestellwert", "Summe brutto"],
               cfwd=["Übertrag"], bfwd=["Übertrag"], sched=["Liefertermin {d} Menge {q}", "Termin: {d} {q} {u}", "Einteilung {d}: {q} {u}"],
               note=["Positionstext:", "Hinweis:", ""], per=["PE", "Preiseinheit", "per"], sect=["Material", "Ersatzteile", "Dienstleistungen"],
               notes=["Bitte Liefertermin umgehend bestätigen.", "Werkszeugnis 3.1 erforderlich.",
                      "Anlieferung nur Mo-Do 7:00 bis 14:00 Uhr.", "Verpackung: seemäßig, mit Bestell- und Positionsnummer."],
               sign=["Mit freundlichen Grüßen", "i.A."], page="Seite {p} von {n}"),
    "fr": dict(title=["BON DE COMMANDE", "Commande", "Bon de commande", "COMMANDE FOURNISSEUR"],
               po=["N° de commande", "Commande n°", "Numéro de commande", "N° commande", "Réf. commande"],
               date=["Date", "Date de commande", "Le", "Date commande"], contact=["Acheteur", "Contact", "Interlocuteur", "Suivi par"],
               ship=["Adresse de livraison", "Livrer à", "Lieu de livraison"], bill=["Adresse de facturation", "Facturer à"],
               vendor=["Fournisseur", "Destinataire"], phone=["Tél.", "Tél"], taxid=["N° TVA", "SIRET"],
               terms=["Conditions de paiement : 30 jours fin de mois", "Règlement : 45 jours date de facture", "Franco de port"],
               cur="Devise", sub=["Total HT", "Montant HT", "Sous-total"], freight=["Frais de port", "Transport", "Port et emballage"],
               surcharge=["Supplément", "Majoration"], discount=["Remise", "Escompte"],
               total=["Total TTC", "Montant TTC", "Net à payer", "Total", "Montant total"],
               cfwd=["À reporter", "Report"], bfwd=["Report", "Reporté"],
               sched=["Livraison le {d} : {q} {u}", "Date livraison {d} Qté {q}", "Échéance {d} - {q}"],
               note=["Remarque :", "Texte article :", ""], per=["Par", "Pour"], sect=["Fournitures", "Pièces de rechange", "Prestations"],
               notes=["Merci de confirmer le délai de livraison.", "Certificat de conformité exigé.",
                      "Livraison du lundi au vendredi de 8h à 16h.", "Rappeler notre numéro de commande sur la facture."],
               sign=["Le service achats", "Signature"], page="Page {p}/{n}"),
    "nl": dict(title=["INKOOPORDER", "Inkooporder", "Bestelling", "Bestelbon"],
               po=["Ordernummer", "Bestelnummer", "Inkoopordernr.", "Order nr.", "Ons ordernr."],
               date=["Datum", "Orderdatum", "Besteldatum"], contact=["Inkoper", "Contactpersoon", "Behandeld door"],
               ship=["Afleveradres", "Leveradres", "Leveren aan"], bill=["Factuuradres", "Factureren aan"],
               vendor=["Leverancier", "Aan"], phone=["Tel.", "Telefoon"], taxid=["BTW-nr.", "KvK"],
               terms=["Betalingstermijn: 30 dagen", "Betaling binnen 60 dagen na factuurdatum", "Levering: franco"],
               cur="Valuta", sub=["Subtotaal", "Totaal excl. BTW", "Netto bedrag"], freight=["Vracht", "Verzendkosten", "Transportkosten"],
               surcharge=["Toeslag", "Kleine-ordertoeslag"], discount=["Korting"], total=["Totaal", "Totaal incl. BTW", "Te betalen", "Totaalbedrag"],
               cfwd=["Transport", "Over te brengen"], bfwd=["Transport", "Overgebracht"],
               sched=["Leverdatum {d} Aantal {q}", "Levering {d}: {q} {u}"], note=["Opmerking:", "Artikeltekst:", ""],
               per=["Per"], sect=["Materialen", "Onderdelen", "Diensten"],
               notes=["Graag leverdatum bevestigen.", "Leveren tussen 7:00 en 15:00 uur.", "Vermeld ons ordernummer op de factuur."],
               sign=["Met vriendelijke groet", "Handtekening"], page="Pagina {p} van {n}"),
    "es": dict(title=["PEDIDO", "Orden de compra", "Pedido de compra", "PEDIDO A PROVEEDOR"],
               po=["Nº Pedido", "Número de pedido", "Pedido nº", "Orden de compra nº", "Nº de orden"],
               date=["Fecha", "Fecha de pedido", "Fecha pedido", "Fecha emisión"], contact=["Comprador", "Contacto", "Solicitado por"],
               ship=["Dirección de entrega", "Lugar de entrega", "Entregar en"], bill=["Dirección de facturación", "Facturar a"],
               vendor=["Proveedor", "Destinatario"], phone=["Tel.", "Teléfono", "Tfno."], taxid=["CIF", "NIF"],
               terms=["Forma de pago: 60 días", "Pago: transferencia a 30 días", "Portes pagados"],
               cur="Moneda", sub=["Base imponible", "Subtotal", "Importe neto"], freight=["Portes", "Transporte", "Gastos de envío"],
               surcharge=["Recargo", "Recargo de equivalencia"], discount=["Descuento", "Dto. pronto pago"],
               total=["Total", "Total pedido", "Importe total", "TOTAL"], cfwd=["Suma y sigue", "A transportar"], bfwd=["Suma anterior", "Transporte"],
               sched=["Fecha entrega {d} Cantidad {q}", "Entrega: {d} Cant. {q}", "Plazo {d}: {q} {u}"],
               note=["Observaciones:", "Nota:", ""], per=["Por", "Por cada"], sect=["Materiales", "Repuestos", "Servicios"],
               notes=["Indicar el número de pedido en el albarán y la factura.", "Entregar con certificado de calidad.",
                      "Horario de recepción: de 8:00 a 14:00."], sign=["Firma y sello", "Departamento de compras"], page="Página {p} de {n}"),
    "it": dict(title=["ORDINE D'ACQUISTO", "Ordine fornitore", "Ordine di acquisto", "ORDINE"],
               po=["N. ordine", "Numero ordine", "Ordine n.", "N° ordine", "Rif. ordine"],
               date=["Data", "Data ordine", "Data documento", "del"], contact=["Buyer", "Referente", "Compratore"],
               ship=["Luogo di consegna", "Indirizzo di consegna", "Destinazione merce"], bill=["Indirizzo di fatturazione", "Fatturare a"],
               vendor=["Fornitore", "Spett.le"], phone=["Tel.", "Telefono"], taxid=["P.IVA", "Partita IVA", "C.F."],
               terms=["Pagamento: 60 gg d.f.f.m.", "Pagamento: bonifico 30 gg", "Resa: franco destino"],
               cur="Valuta", sub=["Imponibile", "Totale imponibile", "Totale merce"], freight=["Spese di trasporto", "Trasporto", "Imballo e trasporto"],
               surcharge=["Supplemento", "Maggiorazione"], discount=["Sconto", "Sconto incondizionato"],
               total=["Totale", "Totale ordine", "Totale documento", "TOTALE"], cfwd=["A riportare"], bfwd=["Riporto"],
               sched=["Consegna {d} Q.tà {q}", "Data consegna {d} quantità {q}"], note=["Note:", "Annotazioni:", ""],
               per=["Per"], sect=["Materiali", "Ricambi", "Servizi"],
               notes=["Confermare la data di consegna.", "Allegare certificato di collaudo.", "Indicare il numero d'ordine in fattura."],
               sign=["Timbro e firma", "L'ufficio acquisti"], page="Pagina {p} di {n}"),
}

HEADS = {
    "en": dict(F.HEADS["en"], pos=["Line", "Ln", "#", "Item", "Pos", "No.", "Sl. No.", "S.No"],
               uom=["UOM", "U/M", "Unit", "UoM", "Units"], per=["Per", "Price Unit", "PU"], hsn=["HSN", "HSN/SAC", "HSN Code"],
               tax=["Tax", "Tax %", "VAT %", "GST %"]),
    "de": dict(F.HEADS["de"], per=["PE", "Preiseinheit", "per"], hsn=["Warennr."]),
    "fr": dict(pos=["Pos.", "Ligne", "N°"], sku=["Référence", "Réf.", "Code article", "Article"], cpart=["Notre réf.", "Réf. interne"],
               desc=["Désignation", "Description", "Libellé"], qty=["Qté", "Quantité", "Qté cdée"], uom=["Unité", "U.", "UV"],
               price=["Prix unitaire", "P.U. HT", "Prix U.", "PU HT"], per=["Par", "Pour"], amount=["Montant", "Montant HT", "Total HT", "Total"],
               disc=["Remise %", "Rem."], tax=["TVA %", "TVA"], date=["Date livraison", "Délai", "Livraison"], cost=["Imputation"],
               hts=["Code douanier"], upc=["EAN"], mfr=["Réf. fabricant"], hsn=["Code douanier"]),
    "nl": dict(pos=["Regel", "Pos.", "Nr."], sku=["Artikelnr.", "Artikelcode", "Artikel"], cpart=["Ons artikelnr.", "Eigen code"],
               desc=["Omschrijving", "Beschrijving"], qty=["Aantal", "Hoeveelheid", "Aant."], uom=["Eenheid", "Eh."],
               price=["Prijs", "Stukprijs", "Eenheidsprijs", "Prijs p/st"], per=["Per"], amount=["Bedrag", "Totaal", "Netto bedrag"],
               disc=["Korting %", "Korting"], tax=["BTW %", "BTW"], date=["Leverdatum", "Levertijd"], cost=["Kostenplaats"],
               hts=["GN-code"], upc=["EAN"], mfr=["Fabrikantnr."], hsn=["GN-code"]),
    "es": dict(pos=["Pos.", "Línea", "Nº"], sku=["Código", "Referencia", "Cód. artículo", "Material"], cpart=["Nuestra ref.", "Ref. cliente"],
               desc=["Descripción", "Denominación", "Concepto"], qty=["Cantidad", "Cant.", "Uds."], uom=["Unidad", "UM", "Ud."],
               price=["Precio", "Precio unitario", "Precio/Ud.", "P. unit."], per=["Por", "Por cada"], amount=["Importe", "Total", "Importe neto", "Valor"],
               disc=["Dto. %", "Descuento"], tax=["IVA %", "IVA"], date=["Fecha entrega", "F. entrega", "Plazo"], cost=["Centro de coste"],
               hts=["Código TARIC"], upc=["EAN"], mfr=["Ref. fabricante"], hsn=["Código TARIC"]),
    "it": dict(pos=["Pos.", "Riga", "N."], sku=["Codice", "Cod. articolo", "Articolo", "Codice art."], cpart=["Ns. codice", "Cod. interno"],
               desc=["Descrizione", "Descrizione articolo", "Denominazione"], qty=["Quantità", "Q.tà", "Qtà"], uom=["UM", "U.M.", "Unità"],
               price=["Prezzo", "Prezzo unitario", "Prezzo unit.", "P. unitario"], per=["Per"], amount=["Importo", "Totale", "Valore", "Importo netto"],
               disc=["Sconto %", "Sc. %"], tax=["IVA %", "Aliquota"], date=["Data consegna", "Consegna", "Data cons."], cost=["Centro di costo"],
               hts=["Voce doganale"], upc=["EAN"], mfr=["Cod. produttore"], hsn=["Voce doganale"]),
}
UOMS = {
    "en": {"EA": ["EA", "PCS", "Nos", "Each", "PC", "NOS"], "BOX": ["BOX", "CS", "Box"], "PK": ["PK", "Pack", "PKT"], "M": ["M", "m", "MTR"],
           "KG": ["KG", "kg", "Kgs"], "RL": ["RL", "Roll"], "PR": ["PR", "Pair"]},
    "de": F.UOM_DE,
    "fr": {"EA": ["pce", "pièce", "U", "PCE"], "BOX": ["carton", "CT", "boîte"], "PK": ["paquet", "PQT"], "M": ["m", "ML"], "KG": ["kg"],
           "RL": ["rouleau"], "PR": ["paire"]},
    "nl": {"EA": ["st", "stuks", "ST", "stk"], "BOX": ["doos", "DS"], "PK": ["pak"], "M": ["m", "mtr"], "KG": ["kg"], "RL": ["rol"], "PR": ["paar"]},
    "es": {"EA": ["ud", "uds", "UN", "unidad", "Pza"], "BOX": ["caja", "CJ"], "PK": ["paquete", "PAQ"], "M": ["m", "ML"], "KG": ["kg"],
           "RL": ["rollo"], "PR": ["par"]},
    "it": {"EA": ["pz", "PZ", "NR", "n."], "BOX": ["scatola", "CF"], "PK": ["conf.", "CF"], "M": ["m", "mt"], "KG": ["kg"], "RL": ["rotolo"], "PR": ["paio"]},
}
NUM = {"en": ["us", "us", "us", "plain"], "de": ["eu", "eu", "eu_nogroup", "space"], "fr": ["space", "space", "eu", "eu_nogroup"],
       "nl": ["eu", "eu", "eu_nogroup", "us"], "es": ["eu", "eu", "eu_nogroup"], "it": ["eu", "eu", "eu_nogroup"]}
DATES = {"en": O.DATE_EN + ["eu_dash", "d_mon_y", "eu_dot"], "de": ["eu_dot", "eu_dot", "de_long", "eu_dot_yy", "iso"],
         "fr": ["eu_slash", "eu_slash", "fr_long", "eu_dot", "iso"], "nl": ["eu_dash", "eu_dash", "nl_long", "eu_slash", "iso"],
         "es": ["eu_slash", "eu_slash", "es_long", "eu_dash", "eu_dot"], "it": ["eu_slash", "eu_slash", "it_long", "eu_dot", "eu_dash"]}
VAT = {"DE": ("MwSt.", 19), "FR": ("TVA", 20), "NL": ("BTW", 21), "ES": ("IVA", 21), "IT": ("IVA", 22), "UK": ("VAT", 20), "AE": ("VAT", 5)}


def _lab(rng, lab, colon_p=0.7):
    return lab + (rng.choice([":", ":", " :"]) if lab and lab[-1] not in ":." and rng.random() < colon_p else "")


def _per_suffix(rng, lang, per):
    return rng.choice([f"/{per}", f" / {per}", f" per {per}" if lang == "en" else f" /{per}"])


def _price_amounts(rng, o, st, lang, per_p, disc_p, charge_lines_p):
    """Prices per 100/1000, discounts, localised charges; recomputes amounts, subtotal and total."""
    pers = rng.random() < per_p
    for ln in o["lines"]:
        ln["per"] = 1
        if pers and ln["price"] < 5 and rng.random() < 0.7:
            ln["per"] = rng.choice([100, 100, 1000])
            ln["price"] = round(ln["price"] * ln["per"], 2)
        ln["disc"] = rng.choice([2.0, 5.0, 10.0, 12.5, 15.0]) if rng.random() < disc_p else 0.0
        ln["amount"] = round(ln["qty"] * ln["price"] / ln["per"] * (1 - ln["disc"] / 100), st.adec)
    sub = round(sum(ln["amount"] for ln in o["lines"]), 2)
    t = T[lang]
    charges = []
    if rng.random() < 0.35:
        charges.append(("freight", rng.choice(t["freight"]), float(rng.choice([15, 25, 35, 49.5, 75, 120, 250, 1200]))))
    if rng.random() < 0.12:
        charges.append(("surcharge", rng.choice(t["surcharge"]), float(rng.choice([5, 10, 12.5, 20, 45]))))
    if rng.random() < 0.1:
        p = rng.choice([2, 3, 5])
        charges.insert(0, ("discount", f"{rng.choice(t['discount'])} {p}%", -round(sub * p / 100, 2)))
    # charges printed as rows of the item table are order lines (real-document conventions)
    as_lines = [c for c in charges if c[0] in ("freight", "surcharge") and rng.random() < charge_lines_p]
    for kind, lab, amt in as_lines:
        charges.remove((kind, lab, amt))
        o["lines"].append(dict(no=len(o["lines"]) + 1, charge=True, sku=None, cpart=None, desc=[lab], qty=1, uom="EA", price=amt,
                               per=1, disc=0.0, amount=amt, delivery=o["date"], note=None, upc="", hts="", cost="", mfr="", mfr_part=""))
        sub = round(sub + amt, 2)
    base = sub + sum(c[2] for c in charges)
    c = o["country"]
    if c == "IN":
        if rng.random() < 0.5:
            charges.append(("vat", "IGST 18%", round(base * 0.18, 2)))
        else:
            charges += [("vat", "CGST 9%", round(base * 0.09, 2)), ("vat", "SGST 9%", round(base * 0.09, 2))]
    elif c == "US":
        if rng.random() < 0.4:
            r = rng.choice([6.0, 7.0, 8.25, 10.5, 11.5])
            charges.append(("tax", rng.choice([f"Sales Tax {r:g}%", f"IVU {r:g}%", "Tax"]), round(base * r / 100, 2)))
    elif c in VAT and rng.random() < 0.85:
        name, r = VAT[c]
        if lang == "en" and name != "VAT":
            name = "VAT"
        charges.append(("vat", rng.choice([f"{name} {r}%", f"{name} {r} %", f"{name} ({r}%)"]), round(base * r / 100, 2)))
    o["subtotal"] = sub
    o["charges"] = [dict(kind=k, label=lab, amount=a) for k, lab, a in charges]
    o["total"] = round(sub + sum(a for _, _, a in charges), 2)


def _columns(rng, o, dense, has_per, india):
    ks = F.choose_columns(rng, o, dense=dense)
    if "desc" not in ks:
        ks.insert(1 if ks and ks[0] == "pos" else 0, "desc")
    if india and rng.random() < 0.6 and "hsn" not in ks:
        ks.insert(ks.index("desc") + 1, "hsn")
    if has_per and "price" in ks:
        if rng.random() < 0.6:
            ks.insert(ks.index("price") + 1, "per")
    elif rng.random() < 0.05 and "price" in ks:
        ks.insert(ks.index("price") + 1, "per")  # a per column that always says 1
    if any(ln.get("disc") for ln in o["lines"]) and "disc" not in ks and "amount" in ks:
        ks.insert(ks.index("amount"), "disc")
    if "price" not in ks:  # prices not printed: amounts of charges and discounts mean nothing
        for ln in o["lines"]:
            ln["disc"] = 0.0
    return ks


def _rows(rng, o, st, ks, meta, lang, sched_p, sched_cols, longtext_p):
    """Cells per line plus the rows under it; fills meta per line."""
    t = T[lang]
    uom_choice = {u: rng.choice(v) for u, v in UOMS[lang].items()}
    pos_fmt = rng.choice(["{n}", "{n}", "{n0}", "{n0:05d}", "{n:03d}", "{n}."])
    glue_per = "per" not in ks
    groups = []
    for ln in o["lines"]:
        m = dict(sku=None, customer_part=None, description=None, uom=None, unit_price=None, amount=None)
        charge = ln.get("charge")
        uom_txt = uom_choice.get(ln["uom"], ln["uom"])
        cells = []
        for k in ks:
            c = ""
            if k == "pos":
                c = pos_fmt.format(n=ln["no"], n0=ln["no"] * 10)
                m["pos_text"] = c
            elif k == "sku":
                if not charge:
                    c = ln["cpart"] if o["code_mode"] == "buyer" else ln["sku"]
                    m["sku"] = m["sku_text"] = c
            elif k == "cpart":
                if not charge:
                    c = ln["cpart"] or ""
                    m["customer_part"] = ln["cpart"]
                    m["customer_part_text"] = c
            elif k == "desc":
                c = "\n".join(ln["desc"])
                m["description"] = " ".join(ln["desc"])
                m["description_lines"] = list(ln["desc"])
            elif k == "qty":
                c = st.qty(ln["qty"])
                m["quantity_text"] = c
            elif k == "uom":
                if not charge or rng.random() < 0.3:
                    c = uom_txt
                    m["uom"] = m["uom_text"] = c
            elif k == "price":
                tx = st.price(ln["price"])
                c = st.money_cell(tx)
                if ln["per"] > 1 and glue_per:
                    c += _per_suffix(rng, lang, ln["per"])
                m.update(unit_price=ln["price"], unit_price_text=tx, unit_price_cell=c)
            elif k == "per":
                c = str(ln["per"])
            elif k == "amount":
                tx = st.amount(ln["amount"])
                c = st.money_cell(tx)
                m.update(amount=ln["amount"], amount_text=tx, amount_cell=c)
            elif k == "disc":
                c = (O.fnum(ln["disc"], 1 if ln["disc"] % 1 else 0, st.num) + "%") if ln["disc"] else ""
            elif k == "tax":
                c = "" if charge else rng.choice(["18%", "5%", "12%"]) if o["country"] == "IN" else f"{VAT.get(o['country'], ('', 19))[1]}%"
            elif k == "hsn":
                c = "" if charge else ln["hts"].replace(".", "")[:rng.choice([4, 6, 8])]
            elif k == "date":
                if not charge:
                    c = st.date(ln["delivery"])
                    m["delivery_date_text"] = c
            elif k in ("cost", "upc"):
                c = "" if charge else ln[k]
            elif k == "hts":
                c = "" if charge else ln["hts"]
            elif k == "mfr":
                c = "" if charge else (ln["mfr_part"] or "")
            cells.append(c)
        if "uom" not in ks:
            m["uom"] = None
        grp = [cells]
        if not charge:
            start = ks.index("desc") if rng.random() < 0.75 else 0
            if rng.random() < sched_p:
                grp += _schedule(rng, o, st, ks, ln, lang, uom_txt, start, sched_cols)
            if ln.get("note") or rng.random() < longtext_p:
                pre = rng.choice(t["note"])
                lines = [ln["note"]] if ln.get("note") else rng.sample(t["notes"], rng.randint(1, min(3, len(t["notes"]))))
                txt = ((pre + " ") if pre else "") + "\n".join(lines)
                grp.append({"span": txt, "start": start})
                m["note_text"] = txt
        meta["lines_by_no"][ln["no"]] = m
        groups.append(grp)
    return groups


def _schedule(rng, o, st, ks, ln, lang, uom_txt, start, sched_cols):
    """Delivery schedule rows under a line: a date and a quantity (the whole, or parts)."""
    n = 2 if ln["qty"] >= 4 and float(ln["qty"]).is_integer() and rng.random() < 0.4 else 1
    qs = [ln["qty"]] if n == 1 else [int(ln["qty"]) // 2, int(ln["qty"]) - int(ln["qty"]) // 2]
    out = []
    d = ln["delivery"]
    for q in qs:
        if sched_cols and "qty" in ks:
            row = [""] * len(ks)
            row[ks.index("date") if "date" in ks else start] = st.date(d)
            row[ks.index("qty")] = st.qty(q)
            out.append(row)
        else:
            out.append({"span": rng.choice(T[lang]["sched"]).format(d=st.date(d), q=st.qty(q), u=uom_txt), "start": start})
        d = d + dt.timedelta(days=rng.randint(7, 30))
    return out


def _paginate(rng, tb, groups, o, st, meta, lang, per_page, carry):
    t = T[lang]
    blocks, running = [], 0.0
    meta["carry_texts"] = []
    n = len(groups)
    for s0 in range(0, n, per_page):
        rows = []
        if s0 > 0 and carry:
            tx = st.amount(round(running, 2))
            rows.append({"span": f"{rng.choice(t['bfwd'])}: {tx}", "align": "R", "bold": True})
            meta["carry_texts"].append(tx)
        for gi, g in enumerate(groups[s0:s0 + per_page]):
            rows += g
            running += o["lines"][s0 + gi]["amount"]
        if s0 + per_page < n and carry:
            tx = st.amount(round(running, 2))
            rows.append({"span": f"{rng.choice(t['cfwd'])}: {tx}", "align": "R", "bold": True})
            meta["carry_texts"].append(tx)
        blocks.append(dict(tb, rows=rows))
        if s0 + per_page < n:
            blocks.append(dict(t="pagebreak"))
    return blocks


def _tax_summary(rng, o, st, lang):
    """A second table with numbers but no items: GST by HSN code, or VAT by rate."""
    vat = [c for c in o["charges"] if c["kind"] in ("vat", "tax")]
    if not vat:
        return []
    if o["country"] == "IN":
        head = ["HSN/SAC", "Taxable Value", "Rate", "Tax Amount"]
        rows = [[o["lines"][0]["hts"].replace(".", "")[:6], st.amount(o["subtotal"]), c["label"].split()[-1], st.amount(c["amount"])] for c in vat]
    else:
        head = {"en": ["Tax rate", "Net", "Tax"], "de": ["MwSt-Satz", "Netto", "MwSt"], "fr": ["Taux TVA", "Base HT", "Montant TVA"],
                "nl": ["BTW %", "Grondslag", "BTW"], "es": ["% IVA", "Base", "Cuota"], "it": ["Aliquota", "Imponibile", "Imposta"]}[lang]
        rows = [[c["label"].split()[-1].strip("()"), st.amount(o["subtotal"]), st.amount(c["amount"])] for c in vat]
    return [dict(t="table", head=head, rows=rows, widths=[1] * len(head), align=["L"] + ["R"] * (len(head) - 1),
                 grid=rng.choice(["full", "h"]), size=7.5, wrapcode=[])]


def fam_intl_form(rng, o, st, meta):
    lang = LANG_OF.get(o["country"], "en")
    if o["country"] == "NL" and rng.random() < 0.25:
        lang = "en"
    t = T[lang]
    india = o["country"] == "IN"
    st.lang = lang
    st.num = "indian" if india and rng.random() < 0.6 else rng.choice(NUM[lang])
    st.date_fmt = rng.choice(DATES[lang])
    if st.cur_mode == "column":
        st.cur_mode = "header"
    _price_amounts(rng, o, st, lang, per_p=0.15, disc_p=rng.choice([0, 0, 0.1, 0.3]), charge_lines_p=0.3)
    F.header_meta(o, st, meta)
    po, date = o["po_number"], st.date(o["date"])
    # ---- letterhead
    lh_lines = pools.address(rng, o["country"])
    contact_line = f"{rng.choice(t['phone'])} {o['phone']}"
    if rng.random() < 0.6:
        contact_line += f"   Fax {o['phone'][:-2]}{rng.randint(10, 99)}"
    if rng.random() < 0.4:
        contact_line += f"   {rng.choice(t['taxid'])} {rng.randint(10 ** 8, 10 ** 9)}"
    po_lab = _lab(rng, rng.choice(t["po"]))
    po_beside_phone = rng.random() < 0.25  # the PO number on the phone / fax line
    if po_beside_phone:
        contact_line += f"   {po_lab} {po}"
    blocks = []
    lh_pos = rng.choice(["L", "L", "C", "R"])
    if lh_pos == "C":
        blocks.append(dict(t="title", text=o["buyer"], size=rng.choice([13, 15, 18]), align="C"))
        blocks.append(dict(t="text", lines=[", ".join(lh_lines), contact_line], size=7.5, align="C"))
    else:
        letter = {"head": o["buyer"], "lines": lh_lines + [contact_line]}
        other = {"head": None, "lines": []}
        blocks.append(dict(t="cols", cols=[letter, other] if lh_pos == "L" else [other, letter]))
    # ---- title and order facts
    title = rng.choice(t["title"])
    po_in_title = not po_beside_phone and rng.random() < 0.2
    if po_in_title:
        title = f"{title} {rng.choice(['Nr.', 'No.', 'n°', 'nº', 'N.', '#'])} {po}"
    facts = [] if (po_beside_phone or po_in_title) else [(po_lab, po)]
    facts.append((_lab(rng, rng.choice(t["date"])), date))
    extra = [(_lab(rng, rng.choice(t["contact"])), o["contact"]), (_lab(rng, rng.choice(t["phone"])), o["phone"]),
             (_lab(rng, {"en": "Vendor No.", "de": "Lieferanten-Nr.", "fr": "N° fournisseur", "nl": "Leveranciersnr.",
                         "es": "Nº proveedor", "it": "Cod. fornitore"}[lang]), str(rng.randint(10000, 999999))),
             ("", rng.choice(t["terms"]))]
    facts += rng.sample(extra, rng.randint(1, 3))
    facts = [f for f in facts if f[0] or rng.random() < 0.5]
    if st.cur_mode == "header":
        facts.append((_lab(rng, t["cur"]), st.currency))
    if rng.random() < 0.3:
        rng.shuffle(facts)
    blocks.append(dict(t="title", text=title, size=rng.choice([12, 14, 16]), align=rng.choice(["L", "C", "R"])))
    sup = {"head": _lab(rng, rng.choice(t["vendor"]), 0.3), "lines": [o["supplier"]] + o["supplier_addr"]}
    shp = {"head": _lab(rng, rng.choice(t["ship"]), 0.4), "lines": list(o["ship_to"])}
    bil = {"head": _lab(rng, rng.choice(t["bill"]), 0.4), "lines": o["bill_to"]}
    addrs = [sup, shp] + ([bil] if rng.random() < 0.4 else [])
    rng.shuffle(addrs)
    place = rng.choice(["kv_right", "kv_left", "below_grid", "below_lines", "inline", "beside_addr"])
    fact_lines = [f"{k} {v}".strip() for k, v in facts]
    if place == "kv_right":
        blocks.append(dict(t="kv", rows=[(k or " ", v) for k, v in facts], align="R", box=rng.random() < 0.3))
    elif place == "kv_left":
        blocks.append(dict(t="kv", rows=[(k or " ", v) for k, v in facts], align="L", box=rng.random() < 0.3))
    elif place == "below_grid":
        fl = [f for f in facts if f[0]]
        blocks.append(dict(t="table", head=[k.rstrip(": ") for k, _ in fl], rows=[[v for _, v in fl]], widths=[1.0] * len(fl),
                           align=["L"] * len(fl), grid=rng.choice(["full", "h", "none"]), size=rng.choice([7.5, 8, 8.5]), wrapcode=[]))
    elif place == "below_lines":
        lines = []
        for k, v in facts:
            lines += ([k.rstrip(": ")] if k else []) + [v]
        half = (len(lines) + 1) // 2
        if rng.random() < 0.5:
            blocks.append(dict(t="cols", cols=[{"head": None, "lines": lines[:half]}, {"head": None, "lines": lines[half:]}]))
        else:
            blocks.append(dict(t="text", lines=lines))
    elif place == "inline":
        blocks.append(dict(t="text", lines=["    ".join(fact_lines[:3])] + fact_lines[3:], bold=rng.random() < 0.3))
    if place == "beside_addr":
        fb = {"head": None, "lines": fact_lines}
        cols = addrs[:2]
        cols.insert(rng.randint(0, 2), fb)
        blocks.append(dict(t="cols", cols=cols, box=rng.random() < 0.4))
        if len(addrs) > 2:
            blocks.append(dict(t="cols", cols=[addrs[2], {"head": None, "lines": []}]))
    elif rng.random() < 0.75:
        blocks.append(dict(t="cols", cols=addrs, box=rng.random() < 0.4))
    else:
        for a in addrs:
            blocks.append(dict(t="cols", cols=[a, {"head": None, "lines": []}]))
    if rng.random() < 0.3:
        blocks.append(dict(t="text", lines=[rng.choice(t["notes"])], size=8))
    # ---- item table(s)
    dense = rng.random() < 0.2
    o["dense"] = dense
    ks = _columns(rng, o, dense, any(ln.get("per", 1) > 1 for ln in o["lines"]), india)
    H = HEADS[lang]
    used, heads = set(), []
    for k in ks:
        h = rng.choice([x for x in H[k] if x not in used] or H[k])
        used.add(h)
        heads.append(h)
    sched_p = rng.choice([0, 0, 0.3, 0.8])
    groups = _rows(rng, o, st, ks, meta, lang, sched_p, sched_cols=rng.random() < 0.4, longtext_p=rng.choice([0, 0, 0.2, 0.5]))
    align = [dict(F.ALIGN, per="R", hsn="L").get(k, "L") for k in ks]
    widths = [dict(F.WIDTH, per=0.5, hsn=0.9)[k] * rng.uniform(0.8, 1.25) for k in ks]
    tb = dict(t="table", head=heads, rows=[], widths=widths, align=align, grid=rng.choice(["full", "h", "none", "h"]),
              size=rng.choice([6.5, 7, 7.5]) if dense else rng.choice([7.5, 8, 8.5, 9]), wrapcode=[i for i, k in enumerate(ks) if k in ("sku", "cpart")])
    if rng.random() < 0.25:
        tb["valign"] = "MIDDLE"
    n = len(groups)
    layout = rng.random()
    if n >= 4 and layout < 0.2:
        # two tables (sections), each with its own head
        cut = rng.randint(1, n - 1)
        s1, s2 = rng.sample(t["sect"], 2)
        blocks.append(dict(t="text", lines=[s1], bold=True))
        blocks.append(dict(tb, rows=[r for g in groups[:cut] for r in g]))
        blocks.append(dict(t="text", lines=[s2], bold=True))
        blocks.append(dict(tb, rows=[r for g in groups[cut:] for r in g]))
    elif n > 6 and layout < 0.6:
        blocks += _paginate(rng, tb, groups, o, st, meta, lang, per_page=rng.choice([4, 6, 8]), carry=rng.random() < 0.6)
    else:
        blocks.append(dict(tb, rows=[r for g in groups for r in g]))
    # ---- totals
    rows = []
    meta["charges"] = []
    if o["charges"] or rng.random() < 0.6:
        tx = st.amount(o["subtotal"])
        rows.append((rng.choice(t["sub"]), st.money_cell(tx, always=rng.random() < 0.4)))
        meta["subtotal_text"] = tx
    for c in o["charges"]:
        tx = st.amount(c["amount"])
        rows.append((c["label"], st.money_cell(tx)))
        meta["charges"].append(dict(kind=c["kind"], label=c["label"], amount=c["amount"], amount_text=tx))
    lab = rng.choice(t["total"])
    if st.cur_mode == "header" and rng.random() < 0.5:
        lab += f" {st.currency}"
    tx = st.amount(o["total"])
    cell = st.money_cell(tx, always=True)
    rows.append((lab, cell))
    meta.update(total_text=tx, total_cell=cell, total_label=lab)
    blocks.append(dict(t="totals", rows=rows))
    if rng.random() < 0.25:
        blocks += _tax_summary(rng, o, st, lang)
    tail = [rng.choice(t["terms"])] if rng.random() < 0.5 else []
    tail += [rng.choice(t["sign"]), o["contact"]]
    blocks.append(dict(t="text", lines=tail, size=7.5))
    if rng.random() < 0.15:
        blocks += F.terms_page(rng, "de" if lang == "de" else "en")
    return blocks
