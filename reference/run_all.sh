#!/bin/sh
# Runs the reference figures one after the other (2 cores: parallel runs would only slow each other).
set -e
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
OUT=docs/results/reference
$PY reference/torch_loop.py --methods dense,gmp,cyclical --sparsities 0.9,0.95,0.98,0.99 --seeds 1 --input-scaling standardize --csv $OUT/scratch_standardize.csv
$PY reference/torch_loop.py --model fashion-cnn --methods dense,gmp,cyclical --sparsities 0.9,0.98 --seeds 1 --csv $OUT/fashion-cnn.csv
$PY reference/torch_loop.py --model fashion-cnn --methods gmp,cyclical --sparsities 0.95,0.99 --seeds 1 --csv $OUT/fashion-cnn.csv
$PY reference/torch_loop.py --model fashion-cnn --methods gmp,cyclical --sparsities 0.98 --seeds 1 --pretrain-fraction 0.33 --csv $OUT/fashion-cnn-trained-start.csv
$PY reference/torch_loop.py --model fashion-cnn --methods dense,gmp,cyclical --sparsities 0.9,0.98 --seeds 1 --drift shift --drift-at 0.8 --lr-schedule constant --lr 0.01 --csv $OUT/fashion-cnn-drift.csv --curve-csv $OUT/fashion-cnn-drift-curve.csv
$PY reference/torch_loop.py --model fashion-cnn-bn --methods dense,gmp,cyclical --sparsities 0.98 --seeds 1 --csv $OUT/fashion-cnn-bn.csv
$PY reference/torch_loop.py --methods dense,gmp,cyclical --sparsities 0.9,0.95,0.98,0.99 --seeds 1 --input-scaling none --csv $OUT/scratch_none.csv
$PY reference/torch_loop.py --methods gmp,cyclical --sparsities 0.9,0.95,0.98,0.99 --seeds 1,2,3 --pretrain-fraction 0.33 --csv $OUT/trained_start.csv
for d in shift permute; do
  $PY reference/torch_loop.py --methods dense,gmp,cyclical --sparsities 0.9,0.98 --seeds 1 --drift $d --drift-at 0.8 --lr-schedule constant --lr 0.01 --csv $OUT/drift.csv --curve-csv $OUT/drift_curve.csv
done
