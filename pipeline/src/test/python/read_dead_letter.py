#!/usr/bin/env python3
"""Reads the first committed record of a framed dead-letter topic with Confluent's AvroConsumer, the
consumer-side deserializer of python3-confluent-kafka, which fetches the writer schema from the
registry by the id in the record; prints its cause, source topic and offset as one JSON line.

    read_dead_letter.py --bootstrap HOST:PORT TOPIC REGISTRY_URL
"""

import argparse
import json
import sys

from confluent_kafka.avro import AvroConsumer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("topic")
    parser.add_argument("registry")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    consumer = AvroConsumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "dead-letter-reader",
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "schema.registry.url": args.registry,
    })
    consumer.subscribe([args.topic])
    try:
        message = consumer.poll(args.timeout)
        while message is not None and message.error():
            message = consumer.poll(args.timeout)
        if message is None:
            print(json.dumps({"found": False}))
            return 1
        letter = message.value()
        print(json.dumps({"cause": letter["cause"], "sourceTopic": letter["sourceTopic"], "offset": letter["offset"]}))
        return 0
    finally:
        consumer.close()


if __name__ == "__main__":
    sys.exit(main())
