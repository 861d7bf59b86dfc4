#!/usr/bin/env python3
"""Follow the snapshot topic from Python and predict with NumPy.

Reads only committed records (the job writes snapshots in Kafka transactions), decodes them with
the project's Avro schemas and keeps the newest version of one model: the highest (lineage, version).
A deployment without state starts a newer lineage whose versions count from 1 again; its snapshots
replace the previous deployment's, and late records of an older lineage never do. Every support encoding of
SparseTensor is decoded here with NumPy, and the model's input standardisation is applied, so the
outputs match the Java predictors.

Needs Debian's python3-confluent-kafka, python3-avro and python3-numpy.

    python3 examples/python/follow_snapshots.py --bootstrap localhost:9092 --model cyclical \\
        --features x.f32 --rows 4

prints one JSON line: the model's id, lineage, version, sparsity, how many records were skipped, and the
outputs for the float32 little-endian features in --features (rows x inputs), if given.

Snapshots written framed for a schema registry (the job's sinks.framing: confluent) are read too:
with --schema-registry, by Confluent's own deserializer (confluent_kafka.avro's MessageSerializer,
as AvroConsumer uses it), which fetches the writer schema by the id in each record; without, past
the 5-byte header with the project's schemas, which are the ones the job registered.
--registry-property passes the registry client's settings (basic.auth.credentials.source=USER_INFO,
basic.auth.user.info=user:password, ssl.ca.location=...).

As a service, --follow keeps reading and prints a line each time a newer version is served, until
--timeout (0: never) or Ctrl-C; --property passes consumer settings such as SASL
(security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512, sasl.username=..., sasl.password=...).
The schemas come from the released schemas jar (org.cyclicalpruning:schemas, whose avro/ folder
holds them), given with --schemas or placed beside this script, so the script runs without this
repository.
"""

import argparse
import io
import json
import pathlib
import sys
import time
import uuid
import zipfile

import avro.io
import avro.schema
import numpy as np
from confluent_kafka import Consumer, KafkaError

SCHEMAS = pathlib.Path(__file__).resolve().parents[2] / "schemas" / "src" / "main" / "avro"


def schema_texts(source):
    """The project's .avsc files by name, from the released `schemas` jar (its avro/ folder) or from a
    folder holding them."""
    source = pathlib.Path(source)
    if source.is_file():
        with zipfile.ZipFile(source) as jar:
            return {pathlib.PurePosixPath(n).stem: jar.read(n).decode("utf-8")
                    for n in jar.namelist() if n.startswith("avro/") and n.endswith(".avsc")}
    return {p.stem: p.read_text() for p in source.glob("*.avsc")}


def snapshot_schema(texts, drop_last=0):
    """SparseModelSnapshot, with the named types it refers to parsed first into the same names;
    without its last drop_last fields when drop_last > 0."""
    names = avro.schema.Names()
    for name in ("ModelSpec", "SparseTensor"):
        avro.schema.make_avsc_object(json.loads(texts[name]), names)
    record = json.loads(texts["SparseModelSnapshot"])
    if drop_last:
        record["fields"] = record["fields"][:-drop_last]
    return avro.schema.make_avsc_object(record, names)


def snapshot_readers(texts):
    """Readers of what this version of the job writes and of what earlier builds wrote: fields are
    only ever added at the end of the record, with a default, so an earlier record is the schema
    without some of its last fields (read as their defaults, as the Java readers do)."""
    schema = snapshot_schema(texts)
    readers = [avro.io.DatumReader(schema)]
    fields = schema.fields
    drop = 1
    while drop < len(fields) and fields[len(fields) - drop].has_default:
        readers.append(avro.io.DatumReader(snapshot_schema(texts, drop), schema))
        drop += 1
    return readers


MAGIC_BYTE = 0
HEADER_BYTES = 5


def framed(value):
    """Whether value is in a schema registry's wire format: a byte 0, a 4-byte schema id, Avro binary.
    A plain snapshot never starts with a byte 0, which would be the length of an empty model id."""
    return len(value) > HEADER_BYTES and value[0] == MAGIC_BYTE


def decode(value, readers, registry=None):
    """The snapshot in value, which must fill it exactly; None if it is not one. A framed value is
    decoded by Confluent's deserializer when a registry client is given, else past its header."""
    if framed(value):
        if registry is not None:
            try:
                return registry.decode_message(value)
            except Exception:  # an id the registry does not know, or not a snapshot
                return None
        value = value[HEADER_BYTES:]
    for reader in readers:
        buffer = io.BytesIO(value)
        try:
            snapshot = reader.read(avro.io.BinaryDecoder(buffer))
        except Exception:  # not this layout: the next one may fit
            continue
        if buffer.tell() == len(value):
            return snapshot
    return None


def order(snapshot):
    """What a reader serves the highest of: the lineage, then the version."""
    return snapshot.get("lineage", 0), snapshot["version"]


def bits_of(data):
    """The bits of a byte string, least significant bit of each byte first."""
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")


def support(tensor, n):
    """The sorted indices of the tensor's non-zero entries."""
    encoding, m, data = tensor["encoding"], tensor["nnz"], tensor["support"]
    if encoding == "DENSE":
        return np.arange(n)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    if encoding == "BITMAP":
        return np.flatnonzero(bits_of(data)[:n])
    if encoding == "DELTA_VARINT":
        out, index, gap, shift = [], -1, 0, 0
        for byte in data:
            gap |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                index += gap + 1
                out.append(index)
                gap, shift = 0, 0
        return np.array(out, dtype=np.int64)
    if encoding == "ELIAS_FANO":
        low_bits = (n // m).bit_length() - 1
        bits = bits_of(data)
        weights = np.left_shift(np.int64(1), np.arange(low_bits, dtype=np.int64))
        low = bits[: m * low_bits].reshape(m, low_bits).astype(np.int64) @ weights if low_bits else 0
        high = np.flatnonzero(bits[m * low_bits:])[:m] - np.arange(m)
        return (high << low_bits) | low
    raise ValueError(f"unknown support encoding {encoding}")


def dense(tensor):
    """The tensor as a dense float32 array of its shape."""
    shape = tuple(tensor["shape"])
    n = int(np.prod(shape))
    values = np.frombuffer(tensor["values"], dtype="<f4")
    out = np.zeros(n, dtype=np.float32)
    out[support(tensor, n)] = values
    return out.reshape(shape)


class Model:
    """A snapshot ready to predict: a convolutional model's front (Conv, batch normalisation with
    its running statistics where the spec says batchNorm, ReLU; MaxPool), then y = W x + b per
    fully connected layer, ReLU between layers."""

    def __init__(self, snapshot):
        self.snapshot = snapshot
        tensors = {t["name"]: dense(t) for t in snapshot["tensors"]}
        spec = snapshot["spec"]
        self.image = spec.get("image")
        self.front = []
        conv = 0
        for layer in spec.get("features") or []:
            if layer["type"] == "CONV":
                norm = None
                if layer.get("batchNorm"):
                    norm = tuple(tensors[f"bn{conv}.{n}"] for n in ("gamma", "beta", "running_mean", "running_var"))
                self.front.append(("conv", tensors[f"conv{conv}.weight"], tensors[f"conv{conv}.bias"],
                                   layer["padding"], norm))
                conv += 1
            else:
                self.front.append(("pool", layer["size"]))
        count = len(spec["hidden"]) + 1
        self.layers = [(tensors[f"layer{l}.weight"], tensors[f"layer{l}.bias"]) for l in range(count)]
        scaling = snapshot.get("inputScaling")
        self.scale = (np.float32(scaling["mean"][0]), np.float32(scaling["std"][0])) if scaling else None

    def predict(self, x):
        x = np.asarray(x, dtype=np.float32)
        if self.scale:
            x = (x - self.scale[0]) / self.scale[1]
        if self.front:
            x = x.reshape(-1, self.image["channels"], self.image["height"], self.image["width"])
            for step in self.front:
                x = conv_relu(x, *step[1:]) if step[0] == "conv" else max_pool(x, step[1])
            x = x.reshape(x.shape[0], -1)
        for i, (w, b) in enumerate(self.layers):
            x = (x.astype(np.float64) @ w.T.astype(np.float64) + b).astype(np.float32)
            if i < len(self.layers) - 1:
                x = np.maximum(x, np.float32(0))
        return x


BATCH_NORM_EPSILON = 1e-5


def conv_relu(x, w, b, padding, norm=None):
    """Stride-1 convolution (N, C, H, W) * (F, C, K, K) + b, then batch normalisation with the
    running statistics if norm = (gamma, beta, mean, var) is given, then ReLU; in float64."""
    k = w.shape[2]
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h, wd = xp.shape[2] - k + 1, xp.shape[3] - k + 1
    out = np.zeros((x.shape[0], w.shape[0], h, wd))
    for kh in range(k):
        for kw in range(k):
            out += np.einsum("nchw,fc->nfhw", xp[:, :, kh:kh + h, kw:kw + wd], w[:, :, kh, kw].astype(np.float64))
    out += b.reshape(1, -1, 1, 1)
    if norm is not None:
        gamma, beta, mean, var = (np.asarray(t, dtype=np.float64).reshape(1, -1, 1, 1) for t in norm)
        out = (out - mean) / np.sqrt(var + BATCH_NORM_EPSILON) * gamma + beta
    return np.maximum(out, 0).astype(np.float32)


def max_pool(x, size):
    """Max over non-overlapping size x size windows; rows and columns left over are dropped."""
    n, c, h, w = x.shape
    h, w = h // size, w // size
    return x[:, :, :h * size, :w * size].reshape(n, c, h, size, w, size).max(axis=(3, 5))


def report(latest, schema_id, skipped, args):
    """The JSON line of the model's version now served, with the registry's schema id if it was
    framed, and predictions for --features if given."""
    result = {
        "model": latest["modelId"],
        "found": True,
        "lineage": latest.get("lineage", 0),
        "version": latest["version"],
        "sparsity": latest["sparsity"],
        "encodings": sorted({t["encoding"] for t in latest["tensors"]}),
        "skipped": skipped,
    }
    if schema_id is not None:
        result["schema_id"] = schema_id
    if args.features:
        model = Model(latest)
        inputs = latest["spec"]["inputs"]
        x = np.fromfile(args.features, dtype="<f4").reshape(args.rows, inputs)
        result["outputs"] = model.predict(x).tolist()
    return json.dumps(result)


def follow(args):
    readers = snapshot_readers(schema_texts(args.schemas))
    config = {
        "bootstrap.servers": args.bootstrap,
        "group.id": f"python-follower-{uuid.uuid4()}",
        "isolation.level": "read_committed",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
    # security settings (security.protocol, sasl.mechanism, sasl.username, ...); never printed
    config.update(dict(p.split("=", 1) for p in args.property))
    registry = None
    if args.schema_registry:
        from confluent_kafka.avro import CachedSchemaRegistryClient
        from confluent_kafka.avro.serializer.message_serializer import MessageSerializer
        registry_config = {"url": args.schema_registry}
        # credentials and TLS files; never printed
        registry_config.update(dict(p.split("=", 1) for p in args.registry_property))
        registry = MessageSerializer(CachedSchemaRegistryClient(registry_config))
    consumer = Consumer(config)
    consumer.subscribe([args.topic])
    latest, latest_schema_id, skipped = None, None, 0
    deadline = time.monotonic() + args.timeout if args.timeout > 0 else float("inf")
    try:
        while time.monotonic() < deadline:
            if (not args.follow and latest is not None and latest.get("lineage", 0) >= args.min_lineage
                    and latest["version"] >= args.min_version):
                break
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                if message.error().code() != KafkaError._PARTITION_EOF:
                    print(f"kafka: {message.error().str()}", file=sys.stderr)
                continue
            value = message.value() or b""
            snapshot = decode(value, readers, registry)
            if snapshot is None:  # any record that is not a snapshot is skipped, as the Java follower does
                skipped += 1
                continue
            if snapshot["modelId"] == args.model and (latest is None or order(snapshot) > order(latest)):
                if latest is not None and snapshot.get("lineage", 0) != latest.get("lineage", 0):
                    print(f"model {args.model}: a new deployment's lineage {snapshot['lineage']} replaces lineage "
                          f"{latest.get('lineage', 0)} (was v{latest['version']})", file=sys.stderr)
                latest = snapshot
                latest_schema_id = int.from_bytes(value[1:HEADER_BYTES], "big") if framed(value) else None
                if args.follow:
                    # a service swaps its model here; this one prints the version it would serve
                    print(report(latest, latest_schema_id, skipped, args), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    if latest is None:
        print(json.dumps({"model": args.model, "found": False, "skipped": skipped}))
        return 1
    if not args.follow:
        print(report(latest, latest_schema_id, skipped, args))
    return 0


def default_schemas():
    """The released schemas jar beside this script, else this repository's schema folder."""
    here = pathlib.Path(__file__).resolve().parent
    jars = sorted(here.glob("schemas-*.jar"))
    return str(jars[-1]) if jars else str(SCHEMAS)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--topic", default="model-snapshots")
    parser.add_argument("--model", required=True)
    parser.add_argument("--schemas", default=default_schemas(),
                        help="the released schemas jar (org.cyclicalpruning:schemas, its avro/*.avsc) or a folder of"
                             " the .avsc files; default: a schemas-*.jar beside this script, else the repository's")
    parser.add_argument("--property", action="append", default=[], metavar="KEY=VALUE",
                        help="a consumer setting, e.g. security.protocol=SASL_SSL; repeatable; never printed")
    parser.add_argument("--schema-registry", metavar="URL",
                        help="decode framed snapshots with Confluent's deserializer through this registry")
    parser.add_argument("--registry-property", action="append", default=[], metavar="KEY=VALUE",
                        help="a schema registry client setting, e.g. basic.auth.user.info=user:password;"
                             " repeatable; never printed")
    parser.add_argument("--follow", action="store_true",
                        help="keep following, one JSON line per version served, until --timeout or Ctrl-C")
    parser.add_argument("--min-version", type=int, default=1, help="wait until this version (of --min-lineage or a newer one) has been read")
    parser.add_argument("--min-lineage", type=int, default=0,
                        help="wait until a snapshot of this lineage (or a newer one) has been read")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait; 0 for no end with --follow")
    parser.add_argument("--features", help="float32 little-endian features, rows x inputs")
    parser.add_argument("--rows", type=int, default=1)
    return follow(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
