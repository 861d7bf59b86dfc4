#!/usr/bin/env bash
# A standalone Flink cluster on this machine, assembled from Maven artifacts (deploy/cluster/pom.xml):
# one JobManager process and one or more TaskManager processes, as Flink's bin/*.sh would start them.
#
#   flink-cluster.sh start [N]          JobManager + N TaskManagers (default 1); prints the REST address
#   flink-cluster.sh start-taskmanager  one more TaskManager
#   flink-cluster.sh kill-taskmanager [I] SIGKILL TaskManager I (default: the oldest one alive)
#   flink-cluster.sh kill-jobmanager    SIGKILL the JobManager
#   flink-cluster.sh start-jobmanager   a new JobManager (with HA=zookeeper it recovers the running jobs)
#   flink-cluster.sh stop               stops every process of the cluster
#   flink-cluster.sh rest-url           the REST address of the running cluster
#
# Settings: RUN_DIR (default target/deploy-run), FLINK_REST_PORT (default: a free port),
# MAVEN_OFFLINE=1 to resolve jars from the local repository only, HA=zookeeper for JobManager high
# availability through the ZooKeeper of zookeeper.sh (start that first): a JobManager that dies is
# replaced by the next one started, which takes over the running jobs from their last checkpoint.
set -euo pipefail
source "$(dirname "$0")/common.sh"

FLINK_DIR="$RUN_DIR/flink"
CONF_DIR="$FLINK_DIR/conf"
# the module flags Flink's distribution passes on Java 17 (env.java.opts.all); without them job
# submission fails with InaccessibleObjectException
JAVA_OPENS=(--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED)
for pkg in java.lang java.net java.io java.nio sun.nio.ch java.lang.reflect java.text java.time java.util \
    java.util.concurrent java.util.concurrent.atomic java.util.concurrent.locks; do
  JAVA_OPENS+=("--add-opens=java.base/$pkg=ALL-UNNAMED")
done

write_config() {
  mkdir -p "$CONF_DIR" "$FLINK_DIR/tmp" "$FLINK_DIR/upload" "$FLINK_DIR/log"
  local rest_port=${FLINK_REST_PORT:-$(free_port)} rpc_port=$(free_port)
  {
    # the folders below replace the shared config's (Flink rejects a key given twice)
    grep -v -E '^(execution\.checkpointing\.dir|execution\.checkpointing\.savepoint-dir):' "$DEPLOY_DIR/conf/config.yaml"
    echo
    echo "# this machine (written by flink-cluster.sh)"
    echo "jobmanager.rpc.address: 127.0.0.1"
    echo "jobmanager.rpc.port: $rpc_port"
    echo "jobmanager.bind-host: 127.0.0.1"
    echo "taskmanager.host: 127.0.0.1"
    echo "taskmanager.bind-host: 127.0.0.1"
    echo "rest.address: 127.0.0.1"
    echo "rest.bind-address: 127.0.0.1"
    echo "rest.port: $rest_port"
    echo "io.tmp.dirs: $FLINK_DIR/tmp"
    echo "web.upload.dir: $FLINK_DIR/upload"
    echo "execution.checkpointing.dir: file://$FLINK_DIR/checkpoints"
    echo "execution.checkpointing.savepoint-dir: file://$FLINK_DIR/savepoints"
    if [ "${HA:-none}" = zookeeper ]; then
      # job graphs and checkpoint pointers survive the JobManager in ZooKeeper and this folder
      echo "high-availability.type: zookeeper"
      echo "high-availability.zookeeper.quorum: $(cat "$RUN_DIR/zookeeper/quorum")"
      echo "high-availability.storageDir: file://$FLINK_DIR/ha"
      echo "high-availability.cluster-id: /cyclical-pruning"
      # the ZooKeeper of zookeeper.sh takes no SASL: without this the client tries it and logs errors
      echo "zookeeper.sasl.disable: true"
    fi
  } > "$CONF_DIR/config.yaml"
  cp "$DEPLOY_DIR/conf/log4j.properties" "$CONF_DIR/log4j.properties"
  echo "http://127.0.0.1:$rest_port" > "$FLINK_DIR/rest-url"
}

# resource_params JM|TM: the JVM options and dynamic properties Flink derives from the memory settings
resource_params() {
  local out
  out=$(java -cp "$CP" org.apache.flink.runtime.util.bash.BashJavaUtils "GET_$1_RESOURCE_PARAMS" --configDir "$CONF_DIR" 2>/dev/null \
    | grep '^BASH_JAVA_UTILS_EXEC_RESULT:' | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://')
  JVM_PARAMS=$(echo "$out" | sed -n 1p)
  DYNAMIC_PARAMS=$(echo "$out" | sed -n 2p)
}

start_process() { # NAME MAIN_CLASS JM|TM
  local name=$1 main=$2 kind=$3
  resource_params "$kind"
  if [ "$kind" = JM ]; then
    # the JobManager's own settings (Avro parent-first, against a class loader leak): see the file
    DYNAMIC_PARAMS="$DYNAMIC_PARAMS $(grep -v '^#' "$DEPLOY_DIR/conf/jobmanager-args" | tr '\n' ' ')"
  fi
  # shellcheck disable=SC2086 # the parameter strings hold several words each
  nohup java $JVM_PARAMS "${JAVA_OPENS[@]}" -Dlog.file="$FLINK_DIR/log/$name.log" \
    -Dlog4j.configurationFile="file:$CONF_DIR/log4j.properties" -cp "$CP" "$main" --configDir "$CONF_DIR" $DYNAMIC_PARAMS \
    > "$FLINK_DIR/log/$name.out" 2>&1 &
  echo $! > "$FLINK_DIR/$name.pid"
}

taskmanagers_registered() {
  curl -sf "$(cat "$FLINK_DIR/rest-url")/overview" | python3 -c 'import json,sys; print(json.load(sys.stdin)["taskmanagers"])'
}

wait_taskmanagers() { # N
  local want=$1
  WAIT_SECONDS=${WAIT_SECONDS:-90} wait_for bash -c "[ \"\$(curl -sf $(cat "$FLINK_DIR/rest-url")/overview | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"taskmanagers\"])')\" -ge $want ]"
}

start_taskmanager() {
  local i=0
  while [ -e "$FLINK_DIR/taskmanager-$i.pid" ]; do i=$((i + 1)); done
  start_process "taskmanager-$i" org.apache.flink.runtime.taskexecutor.TaskManagerRunner TM
  echo "taskmanager-$i started (pid $(cat "$FLINK_DIR/taskmanager-$i.pid"))"
}

alive_taskmanagers() {
  for f in "$FLINK_DIR"/taskmanager-*.pid; do
    [ -e "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && echo "$f"
  done
  return 0
}

case "${1:-}" in
  start)
    count=${2:-1}
    CP=$(classpath cluster)
    rm -f "$FLINK_DIR"/*.pid
    write_config
    start_process jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint JM
    for _ in $(seq "$count"); do start_taskmanager; done
    WAIT_SECONDS=90 wait_for curl -sf "$(cat "$FLINK_DIR/rest-url")/overview"
    wait_taskmanagers "$count"
    echo "Flink is up: $(cat "$FLINK_DIR/rest-url") ($count TaskManager(s); logs in $FLINK_DIR/log)"
    ;;
  start-taskmanager)
    CP=$(classpath cluster)
    before=$(alive_taskmanagers | wc -l)
    start_taskmanager
    ;;
  kill-jobmanager)
    pid=$(cat "$FLINK_DIR/jobmanager.pid")
    kill -9 "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    echo "killed the JobManager with SIGKILL"
    ;;
  start-jobmanager)
    CP=$(classpath cluster)
    start_process jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint JM
    WAIT_SECONDS=90 wait_for curl -sf "$(cat "$FLINK_DIR/rest-url")/overview"
    echo "jobmanager started (pid $(cat "$FLINK_DIR/jobmanager.pid"))"
    ;;
  kill-taskmanager)
    if [ -n "${2:-}" ]; then f="$FLINK_DIR/taskmanager-$2.pid"; else f=$(alive_taskmanagers | sed -n 1p); fi
    [ -n "$f" ] && [ -e "$f" ] || { echo "no such TaskManager" >&2; exit 1; }
    kill -9 "$(cat "$f")"
    echo "killed $(basename "$f" .pid) with SIGKILL"
    ;;
  stop)
    for f in "$FLINK_DIR"/*.pid; do
      [ -e "$f" ] || continue
      kill "$(cat "$f")" 2>/dev/null || true
    done
    sleep 2
    for f in "$FLINK_DIR"/*.pid; do
      [ -e "$f" ] || continue
      kill -9 "$(cat "$f")" 2>/dev/null || true
      rm -f "$f"
    done
    echo "Flink stopped"
    ;;
  rest-url)
    cat "$FLINK_DIR/rest-url"
    ;;
  *)
    sed -n '2,18p' "$0"
    exit 2
    ;;
esac
