#!/usr/bin/env bash
# Stages the image's files (DJL jars, the cluster jar, the job's config) and builds the image.
#   build-image.sh [JOB_CONFIG]   (default: deploy/k8s/job.yaml)
# Needs `mvn -q package -DskipTests` first (for pipeline/target/cyclical-pruning-job.jar) and a
# container engine (docker or podman); IMAGE overrides the tag.
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
cp "${1:-$DEPLOY_DIR/k8s/job.yaml}" "$CONTEXT/job.yaml"
cp "$DEPLOY_DIR/k8s/Dockerfile" "$CONTEXT/"
engine=$(command -v docker || command -v podman || true)
if [ -z "$engine" ]; then
  echo "staged $CONTEXT; no container engine here: build it elsewhere with 'docker build -t $IMAGE $CONTEXT'"
  exit 0
fi
"$engine" build -t "$IMAGE" "$CONTEXT"
