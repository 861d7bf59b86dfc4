# Shared by the deploy scripts: where things live and how classpaths are resolved.
DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$DEPLOY_DIR/.." && pwd)"
RUN_DIR="${RUN_DIR:-$REPO_DIR/target/deploy-run}"
mkdir -p "$RUN_DIR"
# PyTorch's convolutions on oneDNN's AVX-512 kernels return NaN gradients now and then (see the
# OneDnn class); every process started from here inherits the cap unless it is already set
export ONEDNN_MAX_CPU_ISA="${ONEDNN_MAX_CPU_ISA:-AVX2}"

# classpath NAME: the resolved classpath of deploy/NAME/pom.xml, cached under $RUN_DIR
classpath() {
  local name=$1 out="$RUN_DIR/$1.classpath"
  if [ ! -s "$out" ] || [ "$DEPLOY_DIR/$name/pom.xml" -nt "$out" ]; then
    mvn -q ${MAVEN_OFFLINE:+-o} -f "$DEPLOY_DIR/$name/pom.xml" dependency:build-classpath -Dmdep.outputFile="$out" >&2
  fi
  cat "$out"
}

# free_port: a TCP port nobody listens on right now
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# stop_process PID_FILE: SIGTERM, up to 15 s for a clean shutdown, then SIGKILL; removes the file
stop_process() {
  local file=$1 pid
  [ -e "$file" ] || return 0
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
}

# wait_for CMD...: retry a command for up to $WAIT_SECONDS (default 60)
wait_for() {
  local deadline=$(( $(date +%s) + ${WAIT_SECONDS:-60} ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "timed out waiting for: $*" >&2
      return 1
    fi
    sleep 0.5
  done
}
