#!/usr/bin/env bash
# The restart ramp's length against the drift's position, on validation seeds (11 to 13) that the
# reported table never uses: LeNet-300-100 at 98% on fashion-mnist-drift.
# Usage: docs/results/drift-aware/study/run.sh [JAR]
set -euo pipefail
JAR=${1:-tools/target/cyclical-pruning.jar}
OUT=docs/results/drift-aware/study
export OMP_NUM_THREADS=1
for at in 0.8 0.9; do
  for ramp in 0.05 0.1 0.15; do
    java -Dai.djl.pytorch.num_threads=1 -jar "$JAR" experiment --dataset fashion-mnist-drift --drift-at "$at" \
      --methods drift-aware --drift-ramp "$ramp" --sparsities 0.98 --seed 11,12,13 \
      --csv "$OUT/drift-$at-ramp-$ramp.csv" 2>/dev/null | tee "$OUT/drift-$at-ramp-$ramp.txt"
  done
done
java -Dai.djl.pytorch.num_threads=1 -jar "$JAR" experiment --dataset fashion-mnist-drift --drift-at 0.8 \
  --methods cyclical --sparsities 0.98 --seed 11,12,13 --csv "$OUT/drift-0.8-cyclical.csv" 2>/dev/null \
  | tee "$OUT/drift-0.8-cyclical.txt"
