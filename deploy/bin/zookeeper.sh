#!/usr/bin/env bash
# A ZooKeeper server on this machine, from Maven artifacts (deploy/zookeeper/pom.xml), for the
# standalone Flink cluster's JobManager high availability (flink-cluster.sh with HA=zookeeper).
# One server is enough to show failover on one machine; production runs an ensemble of three or five.
#
#   zookeeper.sh start    start the server on a fresh data folder; prints its address
#   zookeeper.sh quorum   host:port of the running server
#   zookeeper.sh stop
#
# Settings: RUN_DIR (default target/deploy-run), ZOOKEEPER_PORT (default: a free port), MAVEN_OFFLINE=1.
set -euo pipefail
source "$(dirname "$0")/common.sh"

ZK_DIR="$RUN_DIR/zookeeper"

case "${1:-}" in
  start)
    CP=$(classpath zookeeper)
    rm -rf "$ZK_DIR/data"
    mkdir -p "$ZK_DIR/data"
    port=${ZOOKEEPER_PORT:-$(free_port)}
    cat > "$ZK_DIR/zoo.cfg" <<CFG
dataDir=$ZK_DIR/data
clientPort=$port
clientPortAddress=127.0.0.1
tickTime=2000
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok
CFG
    nohup java -Xmx256m -Dlog4j2.configurationFile="file:$DEPLOY_DIR/conf/kafka-log4j2.properties" \
      -Dkafka.logs.dir="$ZK_DIR" -Dlog.name=zookeeper -cp "$CP" org.apache.zookeeper.server.ZooKeeperServerMain "$ZK_DIR/zoo.cfg" \
      > "$ZK_DIR/server.out" 2>&1 &
    echo $! > "$ZK_DIR/server.pid"
    echo "127.0.0.1:$port" > "$ZK_DIR/quorum"
    # "imok" only once the server runs: an open port alone is not enough (it listens before it serves)
    WAIT_SECONDS=60 wait_for python3 -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', $port), 1)
s.sendall(b'ruok')
sys.exit(0 if s.recv(4) == b'imok' else 1)"
    echo "ZooKeeper is up: $(cat "$ZK_DIR/quorum") (log in $ZK_DIR)"
    ;;
  quorum)
    cat "$ZK_DIR/quorum"
    ;;
  stop)
    stop_process "$ZK_DIR/server.pid"
    echo "ZooKeeper stopped"
    ;;
  *)
    sed -n '2,11p' "$0"
    exit 2
    ;;
esac
