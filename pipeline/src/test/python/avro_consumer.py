#!/usr/bin/env python3
"""Reads the first committed record of a topic with Confluent's AvroConsumer, the consumer-side
deserializer of python3-confluent-kafka, which decodes both key and value by fetching their writer
schemas from the registry by the ids in the record; prints the key and the value's scalar fields as
one JSON line, or {"found": false} after --timeout seconds without a record.

    avro_consumer.py --bootstrap HOST:PORT TOPIC REGISTRY_URL
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
        "group.id": "avro-consumer-" + args.topic,
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
        scalars = {k: v for k, v in message.value().items() if isinstance(v, (str, int, float)) or v is None}
        print(json.dumps({"found": True, "key": message.key(), "value": scalars}))
        return 0
    finally:
        consumer.close()


if __name__ == "__main__":
    sys.exit(main())
