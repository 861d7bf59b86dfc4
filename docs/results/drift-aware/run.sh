#!/usr/bin/env bash
# Every cell of the README's drift-aware table: GMP, periodic cyclical and drift-aware pruning, 3 seeds.
# Usage: docs/results/drift-aware/run.sh [JAR] [queue]   (queue: fashion, other, cnn-0.9, cnn-0.98 or all;
# default all)
# Each run uses one intra-op thread, so that two queues can share a 2-core machine.
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
if [ "$QUEUE" = fashion ] || [ "$QUEUE" = all ]; then
  run fashion-scratch --dataset fashion-mnist --methods $M
  run fashion-trained-start --dataset fashion-mnist --pretrain-fraction 0.33 --methods $M
  run fashion-shift-0.8 --dataset fashion-mnist-drift --methods $M
  run fashion-shift-0.9 --dataset fashion-mnist-drift --drift-at 0.9 --methods $M
  run fashion-permute-0.8 --dataset fashion-mnist-drift --drift permute --methods $M
fi
if [ "$QUEUE" = other ] || [ "$QUEUE" = all ]; then
  run synthetic --dataset synthetic --methods $M
  run synthetic-drift --dataset synthetic-drift --methods $M
  # fashion-cnn's GMP and cyclical after the shift are docs/results/fashion-cnn-drift.csv (same code path)
  run fashion-cnn-shift-0.8 --dataset fashion-mnist-drift --model fashion-cnn --methods drift-aware
fi
if [ "$QUEUE" = cnn-0.9 ] || [ "$QUEUE" = all ]; then cnn_scratch 0.9; fi
if [ "$QUEUE" = cnn-0.98 ] || [ "$QUEUE" = all ]; then cnn_scratch 0.98; fi
