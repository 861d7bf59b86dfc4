#!/usr/bin/env bash
# Submits and controls the job on a running Flink cluster through Flink's REST API.
#
#   job.sh submit JAR [--parallelism N] [--savepoint PATH] -- ARGS...   upload JAR and run it; prints the job id
#   job.sh status JOB_ID                                               RUNNING, FAILED, ...
#   job.sh stop-with-savepoint JOB_ID                                  stops the job; prints the savepoint path
#   job.sh cancel JOB_ID
#
# The REST address comes from flink-cluster.sh (or FLINK_REST_URL).
set -euo pipefail
source "$(dirname "$0")/common.sh"

REST=${FLINK_REST_URL:-$(cat "$RUN_DIR/flink/rest-url")}

json() { # EXPRESSION over the JSON on stdin, in Python (d is the document)
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

case "${1:-}" in
  submit)
    jar=$2
    shift 2
    parallelism=""
    savepoint=""
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
      case "$1" in
        --parallelism) parallelism=$2; shift 2 ;;
        --savepoint) savepoint=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
      esac
    done
    [ "${1:-}" = "--" ] && shift
    uploaded=$(curl -sf -X POST -H "Expect:" -F "jarfile=@$jar" "$REST/jars/upload" | json 'd["filename"]')
    jar_id=$(basename "$uploaded")
    body=$(python3 -c 'import json,sys
args = sys.argv[3:]
body = {"programArgsList": args}
if sys.argv[1]: body["parallelism"] = int(sys.argv[1])
if sys.argv[2]: body["savepointPath"] = sys.argv[2]
print(json.dumps(body))' "$parallelism" "$savepoint" "$@")
    response=$(curl -s -X POST -H 'Content-Type: application/json' -d "$body" "$REST/jars/$jar_id/run")
    echo "$response" | json 'd.get("jobid") or sys.exit("submission failed: " + json.dumps(d))'
    ;;
  status)
    curl -sf "$REST/jobs/$2" | json 'd["state"]'
    ;;
  stop-with-savepoint)
    request=$(curl -sf -X POST -H 'Content-Type: application/json' -d '{"drain": false}' "$REST/jobs/$2/stop" | json 'd["request-id"]')
    for _ in $(seq 240); do
      result=$(curl -sf "$REST/jobs/$2/savepoints/$request")
      state=$(echo "$result" | json 'd["status"]["id"]')
      if [ "$state" = "COMPLETED" ]; then
        echo "$result" | json 'd["operation"].get("location") or sys.exit("savepoint failed: " + json.dumps(d["operation"]))'
        exit 0
      fi
      sleep 0.5
    done
    echo "savepoint did not complete in 2 minutes" >&2
    exit 1
    ;;
  cancel)
    curl -sf -X PATCH "$REST/jobs/$2?mode=cancel" >/dev/null
    echo "cancelled $2"
    ;;
  *)
    sed -n '2,10p' "$0"
    exit 2
    ;;
esac
