#!/usr/bin/env python3
"""Write training batches to Kafka from Python: plain Avro, or framed by a schema registry.

A producer team can copy this. Each batch is one TrainingBatch record (the project's
TrainingBatch.avsc, a copy of which ships beside this script's repository in schemas/src/main/avro),
keyed by the model id as UTF-8 so that a model's batches stay in order on one partition.

- plain (default): Avro binary, no header, as the job reads without a registry;
- --registry URL: Confluent's wire format (a byte 0, the schema's 4-byte id, then Avro), written
  by Confluent's own AvroProducer (python3-confluent-kafka), which registers the schema under
  "<topic>-value"; the key is the model id as an Avro string, framed the same way under
  "<topic>-key", which the job takes for the model id too. The job reads these records with
  schema-registry.url set. --registry-property passes the registry client's settings
  (basic.auth.credentials.source=USER_INFO, basic.auth.user.info=user:password, ssl.ca.location=...).

The batches are a synthetic classification stream drawn from --seed: float32 features (or uint8
pixels with --features uint8), one label per row from a fixed random linear teacher, event times
from --start-ms every --step-ms. Needs Debian's python3-confluent-kafka, python3-avro, python3-numpy.

    python3 examples/python/produce_batches.py --bootstrap localhost:9092 --model m --batches 100
    python3 examples/python/produce_batches.py --bootstrap localhost:9092 --model m --registry http://localhost:8081

prints one JSON line: how many records were written, and the schema id when framed.
"""

import argparse
import io
import json
import pathlib
import sys

import avro.io
import avro.schema
import numpy as np
from confluent_kafka import Producer

SCHEMA = pathlib.Path(__file__).resolve().parents[2] / "schemas" / "src" / "main" / "avro" / "TrainingBatch.avsc"


def batches(args):
    """The stream: (sequence, event time, record as a dict) per batch, the same for a given seed."""
    rng = np.random.default_rng(args.seed)
    teacher = rng.standard_normal((args.dim, args.classes)).astype(np.float32)
    for i in range(args.batches):
        x = rng.standard_normal((args.rows, args.dim)).astype(np.float32)
        labels = np.argmax(x @ teacher, axis=1)
        record = {
            "modelId": args.model,
            "sequence": i,
            "eventTime": args.start_ms + i * args.step_ms,  # epoch milliseconds
            "rows": args.rows,
            "dim": args.dim,
            "labels": [int(label) for label in labels],
            "targets": None,
            "uint8Divisor": None,
        }
        if args.features == "uint8":
            # pixels: one byte per value, the job divides by uint8Divisor
            pixels = np.clip(np.round((x + 3) * 42.5), 0, 255).astype(np.uint8)
            record["features"] = pixels.tobytes()
            record["uint8Divisor"] = 255.0
        else:
            record["features"] = np.ascontiguousarray(x, dtype="<f4").tobytes()  # float32 little-endian, row-major
        yield record


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--topic", default="training-batches")
    parser.add_argument("--model", required=True, help="the model id: the record's modelId and its key")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument("--dim", type=int, default=20)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--features", choices=["float32", "uint8"], default="float32")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start-ms", type=int, default=1_750_000_000_000, help="event time of the first batch")
    parser.add_argument("--step-ms", type=int, default=50, help="event time between batches")
    parser.add_argument("--registry", help="a schema registry's URL: write Confluent's wire format")
    parser.add_argument("--registry-property", action="append", default=[], metavar="KEY=VALUE",
                        help="a schema registry client setting, e.g. basic.auth.user.info=user:password; repeatable")
    parser.add_argument("--schema", default=str(SCHEMA), help="TrainingBatch.avsc")
    parser.add_argument("--property", action="append", default=[], metavar="KEY=VALUE",
                        help="a producer setting, e.g. security.protocol=SASL_SSL; repeatable")
    args = parser.parse_args()

    config = {"bootstrap.servers": args.bootstrap, "enable.idempotence": True}
    config.update(dict(p.split("=", 1) for p in args.property))
    schema_text = pathlib.Path(args.schema).read_text()
    if args.registry:
        from confluent_kafka.avro import AvroProducer, CachedSchemaRegistryClient, loads

        config["schema.registry.url"] = args.registry
        # credentials and TLS files of the registry client; never printed
        config.update({"schema.registry." + k: v for k, v in (p.split("=", 1) for p in args.registry_property)})
        value_schema = loads(schema_text)
        producer = AvroProducer(config, default_key_schema=loads('"string"'), default_value_schema=value_schema)

        def send(record, on_delivery):
            producer.produce(topic=args.topic, key=args.model, value=record, on_delivery=on_delivery)
    else:
        producer = Producer(config)
        writer = avro.io.DatumWriter(avro.schema.parse(schema_text))

        def send(record, on_delivery):
            out = io.BytesIO()
            writer.write(record, avro.io.BinaryEncoder(out))
            producer.produce(args.topic, key=args.model.encode("utf-8"), value=out.getvalue(),
                             on_delivery=on_delivery)

    failures = []
    written = 0
    for record in batches(args):
        send(record, lambda err, msg: failures.append(err) if err else None)
        producer.poll(0)
        written += 1
    producer.flush(60)
    if failures:
        print(json.dumps({"written": written, "failed": len(failures), "error": str(failures[0])}))
        return 1
    result = {"written": written, "framing": "confluent" if args.registry else "plain"}
    if args.registry:
        # the id AvroProducer was given: registering a schema a subject holds returns its id
        registry = CachedSchemaRegistryClient({k.replace("schema.registry.", ""): v
                                               for k, v in config.items() if k.startswith("schema.registry.")})
        result["schema_id"] = registry.register(args.topic + "-value", value_schema)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
