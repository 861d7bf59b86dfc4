#!/usr/bin/python3
"""Prints the drift-aware table of docs/drift-aware.md from the CSV files beside this script.

Usage: /usr/bin/python3 docs/results/drift-aware/table.py   (from the repository's root)
"""
import csv
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.dirname(HERE)

# Fashion-MNIST: 12 epochs of 469 batches; synthetic streams: 3000 batches
FASHION_STEPS = 5628
# (run name in run.sh, stream, model, step at which the data drift or None)
STREAMS = [
    ("fashion-scratch", "fashion-mnist from scratch", "LeNet-300-100", None),
    ("fashion-trained-start", "fashion-mnist, trained start (0.33)", "LeNet-300-100", None),
    ("fashion-shift-0.8", "fashion-mnist-drift, shift at 0.8", "LeNet-300-100", round(0.8 * FASHION_STEPS)),
    ("fashion-shift-0.9", "fashion-mnist-drift, shift at 0.9 (periodic hold)", "LeNet-300-100", round(0.9 * FASHION_STEPS)),
    ("fashion-permute-0.8", "fashion-mnist-drift, permute at 0.8", "LeNet-300-100", round(0.8 * FASHION_STEPS)),
    ("synthetic", "synthetic (support recall)", "linear", None),
    ("synthetic-drift", "synthetic-drift at 0.5 (support recall)", "linear", 1500),
    ("fashion-cnn-scratch", "fashion-mnist from scratch", "fashion-cnn", None),
    ("fashion-cnn-shift-0.8", "fashion-mnist-drift, shift at 0.8", "fashion-cnn", round(0.8 * FASHION_STEPS)),
]
METHODS = ["gmp", "cyclical", "drift-aware"]


def rows(name):
    """The rows of a run's CSV, or of its CSVs per sparsity (NAME-0.9.csv, NAME-0.98.csv), the
    drift-aware rows of NAME-drift-aware.csv over any in NAME.csv (see run.sh)."""
    out = {}
    suffixes = ("", "-0.9", "-0.98", "-drift-aware")
    for path in [os.path.join(HERE, name + suffix + ".csv") for suffix in suffixes]:
        if os.path.exists(path):
            with open(path) as f:
                out.update({(r["method"], round(float(r["target_sparsity"]), 3)): r for r in csv.DictReader(f)})
    return out


def earlier_text_table(path):
    """GMP and cyclical rows of an earlier experiment's printed table (mean ± sd and pre-drift)."""
    out = {}
    pm = r"([0-9.]+) ± ([0-9.]+)"
    for line in open(path):
        m = re.match(r"(gmp|cyclical)\s+([0-9.]+)\s+[0-9.]+\s+" + pm + r".*?" + pm + r"\s+-", line)
        if m:
            out[(m.group(1), round(float(m.group(2)), 3))] = {
                "test_accuracy": m.group(3), "test_accuracy_sd": m.group(4),
                "pre_drift_accuracy": m.group(5), "pre_drift_accuracy_sd": m.group(6),
                "support_recall": "", "seeds": "3", "false_alarms": "", "detection_delay": "",
            }
    return out


def value(r, key, synthetic):
    key = "support_recall" if synthetic and key == "test_accuracy" else key
    if not r or not r.get(key):
        return None, None
    sd = r.get(key + "_sd") or ""
    return float(r[key]), (float(sd) if sd else None)


def cell(v):
    mean, sd = v
    if mean is None:
        return "n/a"
    return "%.4f" % mean + (" ± %.4f" % sd if sd is not None else "")


def main():
    print("| stream | model | sparsity | | GMP | periodic cyclical | drift-aware | drift-aware − better of the two (points) | detections before the drift / after it: delay in batches (per seed) | run |")
    print("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |")
    for name, stream, model, drift_step in STREAMS:
        drifts = drift_step is not None
        table = rows(name)
        if name == "fashion-cnn-shift-0.8":
            table.update(earlier_text_table(os.path.join(RESULTS, "fashion-cnn-drift.txt")))
        if not table:
            continue
        synthetic = name.startswith("synthetic")
        for s in (0.9, 0.98):
            kinds = [("post-drift" if drifts else "final", "test_accuracy")]
            if drifts and not synthetic:
                kinds.append(("pre-drift", "pre_drift_accuracy"))
            for label, key in kinds:
                vals = [value(table.get((m, s)), key, synthetic) for m in METHODS]
                best = max((v[0] for v in vals[:2] if v[0] is not None), default=None)
                da = vals[2][0]
                diff = "" if best is None or da is None else "%+.2f" % (100 * (da - best))
                watch = ""
                r = table.get(("drift-aware", s))
                if r and label != "pre-drift":
                    steps = r.get("detection_steps", "")
                    alarms = r.get("false_alarms", "")
                    delay = detection_delays(steps, drift_step) if drifts else ""
                    false_alarms = int(round(float(alarms) * int(r.get("seeds") or 1))) if alarms else "?"
                    watch = "%s false alarms" % false_alarms
                    watch += ("; " + delay) if delay else ""
                unit = " (recall)" if synthetic else ""
                print("| %s | %s | %.2f | %s%s | %s | %s | %s | %s | %s | `%s` |" % (
                    stream, model, s, label, unit, cell(vals[0]), cell(vals[1]), cell(vals[2]), diff, watch, name))


def detection_delays(steps, drift_step):
    """Per seed, the first detection at or after the drift, in batches after it, from the CSV's detection steps."""
    if not steps:
        return "no detection"
    delays = []
    for seed in steps.split("/"):
        after = [int(x) - drift_step for x in seed.split(" ") if x != "-" and int(x) >= drift_step]
        delays.append(str(after[0]) if after else "none")
    return "delay " + " / ".join(delays)


if __name__ == "__main__":
    main()
