#!/usr/bin/env bash
# Stages the image's files (DJL jars, the cluster jar) and builds the image, locally only.
#   build-image.sh
# Needs `mvn -q package -DskipTests` first (for pipeline/target/cyclical-pruning-job.jar) and a
# container engine (docker or podman). IMAGE overrides the tag. Set REGISTRY (such as
# registry.example.com/team) to tag the image there and push it; without it nothing is pushed.
set -euo pipefail
source "$(dirname "$0")/../bin/common.sh"

IMAGE=${IMAGE:-cyclical-pruning:0.1.0}
CONTEXT="$RUN_DIR/image"
rm -rf "$CONTEXT"
mkdir -p "$CONTEXT/lib"
for jar in $(classpath cluster | tr ':' '\n' | grep '/ai/djl/'); do
  cp "$jar" "$CONTEXT/lib/"
done
cp "$REPO_DIR/pipeline/target/cyclical-pruning-job.jar" "$CONTEXT/"
cp "$DEPLOY_DIR/k8s/Dockerfile" "$CONTEXT/"
engine=$(command -v docker || command -v podman || true)
if [ -z "$engine" ]; then
  echo "staged $CONTEXT; no container engine here: build it elsewhere with 'docker build -t $IMAGE $CONTEXT'"
  exit 0
fi
"$engine" build -t "$IMAGE" "$CONTEXT"
if [ -n "${REGISTRY:-}" ]; then
  "$engine" tag "$IMAGE" "$REGISTRY/$IMAGE"
  "$engine" push "$REGISTRY/$IMAGE"
  echo "pushed $REGISTRY/$IMAGE: set spec.image in flink-deployment.yaml to it"
fi
