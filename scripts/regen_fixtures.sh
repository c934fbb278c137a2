#!/usr/bin/env bash
# Regenerate every committed fixture (deterministic). Needs: python3 with reportlab, fpdf2, python-docx;
# LibreOffice writer (soffice) and fonts-dejavu / fonts-liberation2; poppler-utils only for checking.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 fixtures/make_master.py
python3 fixtures/make_inbox.py
python3 fixtures/make_quickstart.py
rm -rf fixtures/eval/docs fixtures/eval/gold
python3 models/training/generate.py --out fixtures/eval/docs --gold-dir fixtures/eval/gold --n 30 --seed 777 \
  --families two_column_header,letter_list,email_html,multi_po,sap_dense
