#!/usr/bin/env bash
# Every cell of docs/drift-aware.md's table: GMP, periodic cyclical and drift-aware pruning, 3 seeds.
# Usage: docs/results/drift-aware/run.sh [JAR] [queue]
#   queue: fashion, other, cnn-0.9, cnn-0.98 or all (default); drift-aware re-runs only the
#   drift-aware rows
# Each run uses one intra-op thread, so that two queues can share a 2-core machine.
# NAME.csv holds GMP and periodic cyclical; NAME-drift-aware.csv the drift-aware rows, measured with
# the 10% restart ramp (the drift-aware rows still inside NAME.csv used the earlier 5% default and
# are superseded: table.py reads NAME-drift-aware.csv over them).
set -euo pipefail
JAR=${1:-tools/target/cyclical-pruning.jar}
QUEUE=${2:-all}
OUT=docs/results/drift-aware
export OMP_NUM_THREADS=1
run() {
  local name=$1; shift
  java -Dai.djl.pytorch.num_threads=1 -jar "$JAR" experiment --seed 1,2,3 --sparsities 0.9,0.98 \
    --csv "$OUT/$name.csv" "$@" 2>/dev/null | tee "$OUT/$name.txt"
}
# fashion-cnn from scratch, one sparsity per queue so that two cores share its 18 runs
cnn_scratch() {
  local s=$1
  java -Dai.djl.pytorch.num_threads=1 -jar "$JAR" experiment --seed 1,2,3 --sparsities "$s" \
    --csv "$OUT/fashion-cnn-scratch-$s.csv" --dataset fashion-mnist --model fashion-cnn --methods $M \
    2>/dev/null | tee "$OUT/fashion-cnn-scratch-$s.txt"
}
M=gmp,cyclical,drift-aware
# both: GMP and cyclical into NAME.csv, drift-aware into NAME-drift-aware.csv
both() {
  local name=$1; shift
  run "$name" "$@" --methods gmp,cyclical
  run "$name-drift-aware" "$@" --methods drift-aware
}
if [ "$QUEUE" = fashion ] || [ "$QUEUE" = all ]; then
  both fashion-scratch --dataset fashion-mnist
  both fashion-trained-start --dataset fashion-mnist --pretrain-fraction 0.33
  both fashion-shift-0.8 --dataset fashion-mnist-drift
  both fashion-shift-0.9 --dataset fashion-mnist-drift --drift-at 0.9
  both fashion-permute-0.8 --dataset fashion-mnist-drift --drift permute
fi
if [ "$QUEUE" = other ] || [ "$QUEUE" = all ]; then
  both synthetic --dataset synthetic
  both synthetic-drift --dataset synthetic-drift
  # fashion-cnn's GMP and cyclical after the shift are docs/results/fashion-cnn-drift.csv (same code path)
  run fashion-cnn-shift-0.8-drift-aware --dataset fashion-mnist-drift --model fashion-cnn --methods drift-aware
fi
# the drift-aware rows alone, with the current defaults
if [ "$QUEUE" = drift-aware ]; then
  for name in fashion-shift-0.8 fashion-shift-0.9 fashion-permute-0.8 fashion-scratch fashion-trained-start; do
    case $name in
      fashion-scratch) args=(--dataset fashion-mnist) ;;
      fashion-trained-start) args=(--dataset fashion-mnist --pretrain-fraction 0.33) ;;
      fashion-shift-0.8) args=(--dataset fashion-mnist-drift) ;;
      fashion-shift-0.9) args=(--dataset fashion-mnist-drift --drift-at 0.9) ;;
      fashion-permute-0.8) args=(--dataset fashion-mnist-drift --drift permute) ;;
    esac
    run "$name-drift-aware" "${args[@]}" --methods drift-aware
  done
  run synthetic-drift-drift-aware --dataset synthetic-drift --methods drift-aware
  run synthetic-drift-aware --dataset synthetic --methods drift-aware
  run fashion-cnn-shift-0.8-drift-aware --dataset fashion-mnist-drift --model fashion-cnn --methods drift-aware
fi
if [ "$QUEUE" = cnn-0.9 ] || [ "$QUEUE" = all ]; then cnn_scratch 0.9; fi
if [ "$QUEUE" = cnn-0.98 ] || [ "$QUEUE" = all ]; then cnn_scratch 0.98; fi
