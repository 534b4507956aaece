#!/usr/bin/env python3
"""Side-by-side CPU timing of diffiml-native's `bench` and the independent PyTorch implementation's `bench.py`.

Runs the two in turn, A B A B ..., with the same settings and thread count (one process per run, so neither
warms the other's caches), and prints every pair and, per figure, both medians and the ratio ours / PyTorch
(< 1: we are faster), pair by pair and of the medians. A ratio means something only between runs of the same
call on the same machine: note the load (printed before and after) beside any figure you quote.

    python3 benchmarks/side_by_side.py --pairs 3 --threads 2 --n 1
    python3 benchmarks/side_by_side.py --pairs 3 --n 1 5 --jar target/diffiml-native.jar --peer ../shared/peer

Figures (medians within each run, ms): end to end per N, encoder + condition head, one UNet call (our sampling
median / steps; PyTorch's unet_call breakdown) and the mask decode. PyTorch runs with Debian's python3-torch
(`apt-get install -y python3-torch libopenblas0-pthread`: without OpenBLAS, Debian's torch takes the reference libblas
and its linear layers run several times slower, so the script refuses to compare); bench.py sets
OMP_WAIT_POLICY=PASSIVE itself, as our library does.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(cmd, env, log):
    t0 = time.time()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log.write("$ " + " ".join(cmd) + "\n" + p.stdout + "\n")
    log.flush()
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout[-3000:]}")
    return p.stdout, time.time() - t0


def parse_ours(out, ns, steps):
    """Medians (ms) from `bench`: per N the end-to-end row; encoder, UNet call, decode from the first N's block."""
    fig = {}
    blocks = re.split(r"\nN = (\d+)", out)
    for i in range(1, len(blocks), 2):
        n, body = int(blocks[i]), blocks[i + 1]
        rows = {m.group(1).strip(): float(m.group(2))
                for m in re.finditer(r"^  (\S.*?)\s{2,}([\d.]+)\s+[\d.]+\s+[\d.]+$", body, re.M)}
        fig[f"end to end N={n}"] = rows["end to end"]
        if n == ns[0]:
            fig["encoder + head"] = rows["encoder + condition head"]
            sampling = next(v for k, v in rows.items() if k.startswith("sampling"))
            fig["one UNet call"] = sampling / (steps * n)
            fig["decode"] = rows["decode"]
    return fig


def parse_peer(out):
    fig = {}
    for m in re.finditer(r"^N=(\d+) steps=\d+: median ([\d.]+) ms", out, re.M):
        fig[f"end to end N={m.group(1)}"] = float(m.group(2))
    names = {"encoder+cond": "encoder + head", "unet_call": "one UNet call", "vae_decode": "decode"}
    for m in re.finditer(r"^\s+(encoder\+cond|unet_call|vae_decode)\s+median\s+([\d.]+) ms", out, re.M):
        fig[names[m.group(1)]] = float(m.group(2))
    return fig


PEER_BLAS_PROBE = """
import torch
torch.ones(64, 64) @ torch.ones(64, 64)
libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.split()[-1]})
print('\\n'.join(libs))
"""


def peer_blas(python):
    """The BLAS libraries the peer's torch maps (Debian's torch takes the system's libblas.so.3 alternative)."""
    p = subprocess.run([python, "-c", PEER_BLAS_PROBE], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.exit(f"cannot run torch with {python}: {p.stdout[-2000:]}\n(apt-get install -y python3-torch)")
    return [l for l in p.stdout.splitlines() if l.startswith("/")]


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, default=3, help="A B pairs (default 3)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, nargs="+", default=[1], help="ensemble sizes (default 1)")
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--res", type=int, default=512, help="image size; the model is the paper's MiT-b3 (default 512)")
    ap.add_argument("--runs", type=int, default=2, help="timed runs per N inside each process (default 2)")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "diffiml-native.jar"))
    ap.add_argument("--peer", default=os.path.join(os.path.dirname(ROOT), "shared", "peer"))
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--java", default="java")
    ap.add_argument("--classpath", default=None,
                    help="run ai.diffiml.cli.Main from this class path instead of --jar")
    ap.add_argument("--any-blas", action="store_true",
                    help="run the peer even when its torch does not load OpenBLAS (the figures then mean little)")
    ap.add_argument("--log", default="side-by-side.log", help="both programs' full output (default ./side-by-side.log)")
    a = ap.parse_args()

    blas = peer_blas(a.python)
    if not any("openblas" in l for l in blas) and not a.any_blas:
        sys.exit("the peer's torch runs on " + (", ".join(blas) or "no BLAS library it maps") + ", not OpenBLAS: "
                 "Debian's reference libblas (unoptimised loops) makes PyTorch's linear layers and attention many "
                 "times slower than the issue's PyTorch figures. Install OpenBLAS (apt-get install -y "
                 "libopenblas0-pthread; it takes over the libblas.so.3 alternative) or pass --any-blas.")
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    launch = [a.java, "-cp", a.classpath, "ai.diffiml.cli.Main"] if a.classpath else [a.java, "-jar", a.jar]
    ours = [*launch, "bench", "--model", "paper", "--resolution", str(a.res), "--device", "cpu", "--threads", str(a.threads), "--steps", str(a.steps),
            "--ensembles", ",".join(map(str, a.n)), "--warmup", str(a.warmup), "--iterations", str(a.runs)]
    peer = [a.python, os.path.join(a.peer, "bench.py"), "--device", "cpu", "--res", str(a.res),
            "--threads", str(a.threads),
            "--steps", str(a.steps), "--n", *map(str, a.n), "--runs", str(a.runs), "--warmup", str(a.warmup)]
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, {os.cpu_count()} cores, load {load()}")
    print("PyTorch's BLAS: " + ", ".join(blas))
    print("A (ours):   " + " ".join(ours))
    print("B (PyTorch): " + " ".join(peer))
    pairs = []
    with open(a.log, "w") as log:
        for i in range(a.pairs):
            oa, ta = run(ours, env, log)
            ob, tb = run(peer, env, log)
            fa, fb = parse_ours(oa, a.n, a.steps), parse_peer(ob)
            pairs.append((fa, fb))
            print(f"pair {i + 1}: load {load()}, wall {ta:.0f} s / {tb:.0f} s")
            for k in fa:
                if k in fb:
                    print(f"  {k:18s} ours {fa[k]:9.1f} ms  PyTorch {fb[k]:9.1f} ms  ratio {fa[k] / fb[k]:.3f}")
    print(f"\nmedians over {a.pairs} pairs (ms; ratio ours / PyTorch, < 1: we are faster); load {load()}")
    print(f"  {'figure':18s} {'ours':>9s} {'PyTorch':>9s} {'ratio of medians':>17s} {'median pair ratio':>18s}")
    for k in pairs[0][0]:
        if all(k in fb for _, fb in pairs):
            xa = statistics.median(fa[k] for fa, _ in pairs)
            xb = statistics.median(fb[k] for _, fb in pairs)
            r = statistics.median(fa[k] / fb[k] for fa, fb in pairs)
            print(f"  {k:18s} {xa:9.1f} {xb:9.1f} {xa / xb:17.3f} {r:18.3f}")


if __name__ == "__main__":
    main()
