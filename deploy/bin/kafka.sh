#!/usr/bin/env bash
# A Kafka broker (KRaft, broker and controller in one process) on this machine, from Maven
# artifacts (deploy/kafka/pom.xml), and the job's topics created with Kafka's own admin tool.
#
#   kafka.sh start           format the storage and start the broker; prints bootstrap servers
#   kafka.sh create-topics [INPUT_PARTITIONS]   training-batches (7 days), model-snapshots (compacted), dead-letters
#   kafka.sh topics ARGS...  Kafka's kafka-topics tool against the broker (e.g. --list, --describe)
#   kafka.sh bootstrap       host:port of the running broker
#   kafka.sh kill            SIGKILL the broker (a crash: no clean shutdown, open transactions left as they are)
#   kafka.sh restart         start the broker again on its data and ports, as after a crash or an upgrade
#   kafka.sh stop
#
# Settings: RUN_DIR (default target/deploy-run), KAFKA_PORT (default: a free port), MAVEN_OFFLINE=1.
set -euo pipefail
source "$(dirname "$0")/common.sh"

KAFKA_DIR="$RUN_DIR/kafka"

# launch: the broker process on the configuration and data in $KAFKA_DIR
launch() {
  nohup java -Xmx512m -Dlog4j2.configurationFile="file:$DEPLOY_DIR/conf/kafka-log4j2.properties" -Dkafka.logs.dir="$KAFKA_DIR" \
    -cp "$CP" kafka.Kafka "$KAFKA_DIR/server.properties" >> "$KAFKA_DIR/broker.out" 2>&1 &
  echo $! > "$KAFKA_DIR/broker.pid"
  WAIT_SECONDS=60 wait_for topics --list
}

topics() {
  java -cp "$(classpath kafka)" org.apache.kafka.tools.TopicCommand --bootstrap-server "$(cat "$KAFKA_DIR/bootstrap")" "$@"
}

case "${1:-}" in
  start)
    CP=$(classpath kafka)
    rm -rf "$KAFKA_DIR/data"
    mkdir -p "$KAFKA_DIR/data"
    port=${KAFKA_PORT:-$(free_port)}
    controller=$(free_port)
    cat > "$KAFKA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
# the job's exactly-once sinks open transactions of up to 10 minutes
transaction.max.timeout.ms=900000
# a batch record of a large model can exceed Kafka's 1 MB default
message.max.bytes=83886080
PROPS
    cluster_id=$(java -cp "$CP" kafka.tools.StorageTool random-uuid)
    java -cp "$CP" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$KAFKA_DIR/server.properties" > "$KAFKA_DIR/format.log"
    : > "$KAFKA_DIR/broker.out"
    echo "127.0.0.1:$port" > "$KAFKA_DIR/bootstrap"
    launch
    echo "Kafka is up: $(cat "$KAFKA_DIR/bootstrap") (log in $KAFKA_DIR)"
    ;;
  kill)
    kill -9 "$(cat "$KAFKA_DIR/broker.pid")"
    # gone for good before this returns: a restart must not find the old process holding the ports
    while kill -0 "$(cat "$KAFKA_DIR/broker.pid")" 2>/dev/null; do sleep 0.1; done
    echo "killed the broker with SIGKILL"
    ;;
  restart)
    CP=$(classpath kafka)
    launch
    echo "Kafka is up again: $(cat "$KAFKA_DIR/bootstrap")"
    ;;
  create-topics)
    partitions=${2:-2}
    topics --create --if-not-exists --topic training-batches --partitions "$partitions" --replication-factor 1 \
      --config retention.ms=604800000 --config max.message.bytes=83886080
    topics --create --if-not-exists --topic model-snapshots --partitions 1 --replication-factor 1 \
      --config cleanup.policy=compact --config min.compaction.lag.ms=3600000 --config max.message.bytes=83886080
    topics --create --if-not-exists --topic dead-letters --partitions 1 --replication-factor 1 \
      --config retention.ms=2592000000 --config max.message.bytes=83886080
    topics --describe
    ;;
  topics)
    shift
    topics "$@"
    ;;
  bootstrap)
    cat "$KAFKA_DIR/bootstrap"
    ;;
  stop)
    stop_process "$KAFKA_DIR/broker.pid"
    echo "Kafka stopped"
    ;;
  *)
    sed -n '2,14p' "$0"
    exit 2
    ;;
esac
