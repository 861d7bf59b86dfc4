#!/bin/sh
# Drift runs for seeds 2 and 3, most informative first (GMP vs cyclical at 98%), then the rest.
set -e
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
OUT=docs/results/reference
COMMON="--seeds 2,3 --drift-at 0.8 --lr-schedule constant --lr 0.01 --csv $OUT/drift.csv --curve-csv $OUT/drift_curve.csv"
for d in shift permute; do $PY reference/torch_loop.py --methods gmp,cyclical --sparsities 0.98 --drift $d $COMMON; done
for d in shift permute; do $PY reference/torch_loop.py --methods dense,gmp,cyclical --sparsities 0.9 --drift $d $COMMON; done
