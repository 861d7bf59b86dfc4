#!/usr/bin/python3
"""Plain PyTorch reference for the Java/DJL training loop: LeNet-300-100 (or, with --model
fashion-cnn, the project's small CNN, or fashion-cnn-bn, the same with batch normalisation) on
Fashion-MNIST,
dense, GMP (Zhu & Gupta) and cyclical pruning (Srinivas et al. 2022), global magnitude pruning.

It exists so the Java loop's figures can be checked against an independent implementation whose
every step is visible in ~one screen of code; nothing here is tuned or clever on purpose.

Run with Debian's interpreter (it has torch 1.13):
    /usr/bin/python3 reference/torch_loop.py --methods dense,gmp,cyclical \
        --sparsities 0.9,0.95,0.98,0.99 --seeds 1 --csv docs/results/reference/x.csv

Step t (0-based, over the whole budget of T steps) does, in this order -- the order of the Java
SparseTrainer, so that the two loops can be compared step for step:
  1. lr_t = lr for constant, or 0.5 * lr * (1 + cos(pi * t / T)) for cosine;
  2. forward + mean cross-entropy + backward on batch t;
  3. if the mask is frozen (hold / final phase), or the method is GMP without --gmp-regrowth,
     the weight gradients are multiplied by the mask, so pruned weights (and their momentum,
     which was zeroed when they were pruned) stay exactly 0;
  4. torch.optim.SGD(momentum=0.9).step() on every parameter;
  5. if a mask update is due at t: new mask by global magnitude on the weights *after* step 4,
     exactly round_half_up(s(t) * n) pruned, then momentum buffer *= mask;
  6. w <- w * mask (projected gradient descent).
Because of 4-5, a pruned weight that received gradients during a ramp (cyclical, GMP with
regrowth) competes at the next mask update with the value -lr * momentum it has just been
given, and regrows if that is large enough; at every cycle start the schedule drops to 0, the
mask becomes dense and every weight is free again.
"""

import argparse
import csv
import gzip
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
BATCH = 128
EPOCHS = 12
MOMENTUM = 0.9
RAMP_FRACTION = 0.7
CYCLES = 3
# pixel shift of the "shift" drift: large enough that a model trained on centred images fails
SHIFT = 6

CSV_FIELDS = [
    "method", "target_sparsity", "achieved_sparsity", "test_accuracy", "seed", "input_scaling",
    "pretrain_fraction", "drift", "samples_per_second",
]
CURVE_FIELDS = [
    "method", "target_sparsity", "seed", "drift", "lr_schedule", "lr", "step", "fraction",
    "cycle_end", "drifted_test_accuracy", "clean_test_accuracy", "mask_sparsity",
]


# ---------------------------------------------------------------- data

def read_idx(path):
    # IDX: 2 zero bytes, a type byte (0x08 = uint8), a rank byte, then rank big-endian uint32
    # sizes; parsing it ourselves keeps the reference free of torchvision and of the network.
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of uint8")
    rank = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=rank, offset=4).astype(np.int64)
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims}, found {data.size} bytes")
    return data.reshape(tuple(dims))


def load_fashion():
    xtr = read_idx(os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz")).reshape(-1, 784)
    ytr = read_idx(os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz"))
    xte = read_idx(os.path.join(DATA_DIR, "t10k-images-idx3-ubyte.gz")).reshape(-1, 784)
    yte = read_idx(os.path.join(DATA_DIR, "t10k-labels-idx1-ubyte.gz"))
    # float32 division, as the Java IdxReader does (byte / 255f)
    return (xtr.astype(np.float32) / np.float32(255), ytr.astype(np.int64),
            xte.astype(np.float32) / np.float32(255), yte.astype(np.int64))


def drift_transform(x, kind, permutation):
    """Applies the drift to images in [0, 1] (before standardisation, so the zero fill of a shift
    is the background colour, not -mean/std)."""
    if kind == "shift":
        img = x.reshape(-1, 28, 28)
        out = np.zeros_like(img)
        out[:, SHIFT:, SHIFT:] = img[:, :28 - SHIFT, :28 - SHIFT]  # 6 down, 6 right
        return out.reshape(-1, 784)
    if kind == "permute":
        return x[:, permutation]
    return x


# ---------------------------------------------------------------- schedules

class Schedule:
    """Sparsity over global steps. Phases: 'dense' (no pruning yet, or method dense), 'ramp'
    (cubic rise, mask recomputed every mask_interval steps counted from the ramp's first step),
    'hold' (target held, mask frozen; recomputed once at its first step so it sits exactly at
    the target). Ramp length R = round_half_up(0.7 * window) steps: ramp steps tau = 0..R-1 with
    s = s_f * (1 - (1 - tau / R)^3); hold from tau = R to the end of the window."""

    def __init__(self, method, target, total, pretrain):
        self.method = method
        self.target = target
        self.total = total
        self.pretrain = pretrain
        budget = total - pretrain
        if method in ("gmp", "hold"):
            # one window: the whole budget after pre-training, as Zhu & Gupta plan for a known end
            # ("hold" prunes to the target at the window's first step and holds it: the step the
            # Java bench times while the mask holds)
            self.windows = [(pretrain, total)]
        elif method == "cyclical":
            # equal cycles; integer division as in the Java experiment, the (here empty)
            # remainder is appended to the last cycle's hold
            length = budget // CYCLES
            starts = [pretrain + c * length for c in range(CYCLES)]
            ends = starts[1:] + [total]
            self.windows = list(zip(starts, ends))
            self.cycle_length = length
        else:
            self.windows = []
        self.ramps = [0 if method == "hold"
                      else round_half_up(RAMP_FRACTION * ((e - s) if method == "gmp" else self.cycle_length))
                      for s, e in self.windows]

    def at(self, t):
        """Returns (phase, sparsity, tau) where tau is the step inside the current window."""
        for (start, end), ramp in zip(self.windows, self.ramps):
            if start <= t < end:
                tau = t - start
                if tau < ramp:
                    return "ramp", self.target * (1.0 - (1.0 - tau / ramp) ** 3), tau
                return "hold", self.target, tau
        return "dense", 0.0, t

    def cycle_ends(self):
        """Steps counts (number of completed steps) at which a cycle ends: where the Java
        pipeline emits its pruned model."""
        return [e for _, e in self.windows] if self.method == "cyclical" else []


def round_half_up(x):
    # Java's Math.round; Python's round() would round half to even
    return int(math.floor(x + 0.5))


def lr_at(t, total, base, kind):
    if kind == "constant":
        return base
    return 0.5 * base * (1.0 + math.cos(math.pi * t / total))


# ---------------------------------------------------------------- model and masks

def lenet(seed):
    # the model is built right after seeding so its init depends on the seed only (PyTorch's
    # default Linear init: kaiming_uniform(a=sqrt(5)) weights, U(+-1/sqrt(fan_in)) biases)
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(),
                         nn.Linear(100, 10))


def fashion_cnn(seed):
    # the project's fashion-cnn: conv 1->16 3x3 pad 1, ReLU, max-pool 2; conv 16->32 3x3 pad 1,
    # ReLU, max-pool 2; fc 1568->128, ReLU; fc 128->10 (PyTorch's default inits, as for lenet)
    torch.manual_seed(seed)
    return nn.Sequential(nn.Unflatten(1, (1, 28, 28)),
                         nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))


def fashion_cnn_bn(seed):
    # fashion-cnn-bn: fashion-cnn with BatchNorm2d (momentum 0.1, eps 1e-5) between each conv and its ReLU
    torch.manual_seed(seed)
    return nn.Sequential(nn.Unflatten(1, (1, 28, 28)),
                         nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))


MODELS = {"lenet-300-100": lenet, "fashion-cnn": fashion_cnn, "fashion-cnn-bn": fashion_cnn_bn}


class GlobalMask:
    """One mask over every weight tensor (matrices and conv kernels) taken together; biases are never pruned."""

    def __init__(self, weights):
        self.weights = weights
        self.sizes = [w.numel() for w in weights]
        self.n = sum(self.sizes)
        self.flat = torch.ones(self.n, dtype=torch.bool)
        self.ever_pruned = torch.zeros(self.n, dtype=torch.bool)
        self.masks = [torch.ones_like(w) for w in weights]
        self.sparsity = 0.0

    def any_pruned(self):
        return self.sparsity > 0

    def update(self, s):
        k = round_half_up(s * self.n)
        mags = torch.cat([w.detach().abs().flatten() for w in self.weights])
        # stable sort: among equal magnitudes the lower flat index (layer order, then row-major
        # element order of the [out, in] matrix) comes first and is pruned first
        order = torch.sort(mags, stable=True).indices
        flat = torch.ones(self.n, dtype=torch.bool)
        flat[order[:k]] = False
        self.flat = flat
        self.ever_pruned |= ~flat
        self.masks = [m.view_as(w).to(w.dtype) for m, w in zip(torch.split(flat, self.sizes), self.weights)]
        self.sparsity = k / self.n

    def recovered(self):
        # weights in the final mask that some earlier update had pruned: evidence of regrowth
        return int((self.flat & self.ever_pruned).sum())


# ---------------------------------------------------------------- one run

def evaluate(model, x, y):
    # eval mode: batch normalisation predicts with its running statistics and leaves them alone
    model.eval()
    with torch.no_grad():
        correct = 0
        for i in range(0, x.shape[0], 2048):
            correct += int((model(x[i:i + 2048]).argmax(1) == y[i:i + 2048]).sum())
    model.train()
    return correct / x.shape[0]


def run(method, target, seed, args, data):
    xtr, ytr, xte, yte, xtr_drift, xte_drift = data
    n_train = xtr.shape[0]
    steps_per_epoch = (n_train + BATCH - 1) // BATCH  # last partial batch kept: 469
    total = steps_per_epoch * EPOCHS
    pretrain = round_half_up(args.pretrain_fraction * total) if method != "dense" else 0
    sched = Schedule(method, target, total, pretrain)
    drift_step = round_half_up(args.drift_at * total) if args.drift != "none" else None
    limit = args.max_steps if args.max_steps else total

    model = MODELS[args.model](seed)
    weights = [m.weight for m in model if isinstance(m, (nn.Linear, nn.Conv2d))]
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=MOMENTUM)
    mask = GlobalMask(weights)
    regrowth = method == "cyclical" or (method == "gmp" and args.gmp_regrowth)
    # data order: one numpy Generator per run, seeded by the run's seed, drawing one fresh
    # permutation of the 60000 rows at the start of every epoch (rng.permutation(60000))
    rng = np.random.default_rng(seed)

    checkpoints = set(round_half_up(k * total / 20) for k in range(1, 21)) | set(sched.cycle_ends())
    curve = []
    pre_drift_acc = None
    train_seconds = 0.0
    samples = 0
    wall = time.time()
    order = None
    for t in range(limit):
        if t % steps_per_epoch == 0:
            order = torch.from_numpy(rng.permutation(n_train))
        if drift_step is not None and t == drift_step:
            # pre-drift reference: the clean test set, with the weights of the last pre-drift step
            pre_drift_acc = evaluate(model, xte, yte)
        b = t % steps_per_epoch
        idx = order[b * BATCH:(b + 1) * BATCH]
        src = xtr_drift if (drift_step is not None and t >= drift_step) else xtr
        xb, yb = src[idx], ytr[idx]

        start = time.perf_counter()
        phase, s, tau = sched.at(t)
        for g in opt.param_groups:
            g["lr"] = lr_at(t, total, args.lr, args.lr_schedule)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        frozen = phase == "hold"
        masked_grads = mask.any_pruned() and (frozen or not regrowth)
        if masked_grads:
            for w, m in zip(weights, mask.masks):
                w.grad.mul_(m)
        opt.step()
        due = (phase == "ramp" and tau % args.mask_interval == 0) or \
              (phase == "hold" and mask.sparsity != target_k_fraction(target, mask.n))
        with torch.no_grad():
            if due:
                mask.update(s)
                for w, m in zip(weights, mask.masks):
                    buf = opt.state[w].get("momentum_buffer")
                    if buf is not None:
                        # a pruned weight forgets its momentum: if it regrows it starts clean
                        buf.mul_(m)
            if mask.any_pruned():
                for w, m in zip(weights, mask.masks):
                    w.mul_(m)
        train_seconds += time.perf_counter() - start
        samples += xb.shape[0]

        done = t + 1
        if drift_step is not None and done in checkpoints:
            curve.append({
                "step": done, "fraction": done / total, "cycle_end": done in sched.cycle_ends(),
                "drifted": evaluate(model, xte_drift, yte), "clean": evaluate(model, xte, yte),
                "mask_sparsity": mask.sparsity,
            })

    zeros = sum(int((w == 0).sum()) for w in weights)
    achieved = zeros / mask.n
    test_x = xte_drift if args.drift != "none" else xte
    acc = evaluate(model, test_x, yte)
    return {
        "method": method if not (method == "gmp" and args.gmp_regrowth) else "gmp-regrowth",
        "target_sparsity": target, "achieved_sparsity": achieved, "test_accuracy": acc,
        "seed": seed, "input_scaling": args.input_scaling, "pretrain_fraction": args.pretrain_fraction,
        "drift": args.drift, "samples_per_second": samples / train_seconds,
        # not in the CSV
        "recovered": mask.recovered(), "wall": time.time() - wall, "curve": curve,
        "pre_drift_acc": pre_drift_acc, "drift_step": drift_step, "total": total,
        "cycle_length": getattr(sched, "cycle_length", None),
    }


def target_k_fraction(target, n):
    # the sparsity GlobalMask reports after an update at the target (k / n, k rounded)
    return round_half_up(target * n) / n


def recovery(result):
    """First checkpoint after the drift at which the drifted test accuracy is within 1 point of
    the pre-drift (clean) accuracy; None if never."""
    pre = result["pre_drift_acc"]
    for p in result["curve"]:
        if p["step"] > result["drift_step"] and p["drifted"] >= pre - 0.01:
            return p
    return None


# ---------------------------------------------------------------- main

def append_csv(path, fields, rows):
    if not path:
        return
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        if new:
            w.writeheader()
        w.writerows(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--methods", default="dense,gmp,cyclical")
    p.add_argument("--sparsities", default="0.9,0.95,0.98,0.99")
    p.add_argument("--seeds", default="1")
    p.add_argument("--input-scaling", choices=["standardize", "none"], default="standardize")
    p.add_argument("--mask-interval", type=int, default=50)
    p.add_argument("--gmp-regrowth", action="store_true",
                   help="GMP's pruned weights receive gradients during the ramp (projected GD)")
    p.add_argument("--pretrain-fraction", type=float, default=0.0)
    p.add_argument("--drift", choices=["none", "shift", "permute"], default="none")
    p.add_argument("--drift-at", type=float, default=0.8)
    p.add_argument("--permutation-seed", type=int, default=0,
                   help="seed of the fixed pixel permutation of --drift permute (same for every run)")
    p.add_argument("--lr-schedule", choices=["cosine", "constant"], default="cosine")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--max-steps", type=int, default=0,
                   help="stop after this many steps (timing); schedules still span the full budget")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--model", choices=sorted(MODELS), default="lenet-300-100")
    p.add_argument("--csv", default="")
    p.add_argument("--curve-csv", default="", help="drift runs: accuracy at every checkpoint")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    xtr, ytr, xte, yte = load_fashion()
    perm = np.random.default_rng(args.permutation_seed).permutation(784)
    xtr_d = drift_transform(xtr, args.drift, perm)
    xte_d = drift_transform(xte, args.drift, perm)
    if args.input_scaling == "standardize":
        # scalar mean / std of the clean training pixels (population std); the drifted images are
        # standardised with the same constants, as a deployed model's preprocessing would be
        mean = float(xtr.astype(np.float64).mean())
        std = float(xtr.astype(np.float64).std())
        xtr, xte, xtr_d, xte_d = [((a - mean) / std).astype(np.float32) for a in (xtr, xte, xtr_d, xte_d)]
        print(f"standardize: mean {mean:.6f} std {std:.6f}", flush=True)
    data = (torch.from_numpy(xtr), torch.from_numpy(ytr), torch.from_numpy(xte), torch.from_numpy(yte),
            torch.from_numpy(xtr_d) if args.drift != "none" else None,
            torch.from_numpy(xte_d) if args.drift != "none" else None)

    methods = args.methods.split(",")
    sparsities = [float(s) for s in args.sparsities.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    for seed in seeds:
        for method in methods:
            for target in ([0.0] if method == "dense" else sparsities):
                r = run(method, target, seed, args, data)
                append_csv(args.csv, CSV_FIELDS, [r])
                line = (f"{r['method']:<12} target {target:.2f} achieved {r['achieved_sparsity']:.4f} "
                        f"acc {r['test_accuracy']:.4f} seed {seed} scaling {args.input_scaling} "
                        f"pretrain {args.pretrain_fraction} drift {args.drift} "
                        f"{r['samples_per_second']:.0f} samples/s recovered {r['recovered']} "
                        f"wall {r['wall']:.1f}s")
                if args.drift != "none":
                    rec = recovery(r)
                    if rec is None:
                        rec_text = "not within 1 point by the end"
                    else:
                        after = rec["step"] - r["drift_step"]
                        rec_text = f"within 1 point at step {rec['step']} ({after} steps after the drift"
                        if r["cycle_length"]:
                            rec_text += f", {after / r['cycle_length']:.2f} cycles"
                        rec_text += ")"
                    line += f"\n    pre-drift clean acc {r['pre_drift_acc']:.4f}; {rec_text}; curve: " + \
                        " ".join(f"{c['step']}{'*' if c['cycle_end'] else ''}:{c['drifted']:.4f}"
                                 for c in r["curve"] if c["step"] > r["drift_step"])
                    append_csv(args.curve_csv, CURVE_FIELDS, [
                        {"method": r["method"], "target_sparsity": target, "seed": seed, "drift": args.drift,
                         "lr_schedule": args.lr_schedule, "lr": args.lr, "step": c["step"],
                         "fraction": f"{c['fraction']:.4f}", "cycle_end": c["cycle_end"],
                         "drifted_test_accuracy": c["drifted"], "clean_test_accuracy": c["clean"],
                         "mask_sparsity": c["mask_sparsity"]} for c in r["curve"]])
                print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
