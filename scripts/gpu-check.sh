#!/usr/bin/env bash
# One run on the GPU machine (NVIDIA driver, CUDA 13 wheels in a Python venv with PyTorch, no Java, no network),
# from what scripts/gpu-carry.sh packed into .carry/. Designed to finish within GPU_CHECK_BUDGET seconds (default
# 420) of its own start: every step gets at most the time left, and the steps run in order of value, so a slow
# step costs the later ones, never the results already written. Steps:
#   1. nvidia-smi; unpack the Java runtime (tar + xz, or Python's lzma where there is no xz);
#   2. find cudart / cuBLAS: the lib folders of the nvidia wheels of the Python that imports torch, else a bounded
#      find for libcublas.so.13; prints what was found; LD_LIBRARY_PATH is set before any JVM starts;
#   3. `info` and `info --device cuda`: the GPU verdict is the latter's exit code. If it fails, the JavaCPP loader
#      log (-Dorg.bytedeco.javacpp.logger.debug=true) goes to OUTDIR/javacpp-debug.log and the script stops with
#      exit 3 (set GPU_CHECK_CONTINUE=1 to run the remaining steps anyway, e.g. to rehearse them);
#   4. the cuda-tagged JUnit tests (CUDA vs CPU) with CUDA_LAUNCH_BLOCKING=1; skips are listed by reason;
#   5. `bench --device cuda --ensembles 1,5` at batch 1; the PyTorch peer (.carry/peer/bench.py, batch 1) on the
#      same GPU, eager and --sdpa --tf32; bench at batch 32; bench with --cuda-graphs; the peer with --cuda-graphs;
#      bench with --tf32; the peer with --compile (slowest to start, so last).
# No CPU suite runs here (CI and the development machine run it). Every java call uses its own JavaCPP cache
# under /tmp (-Dorg.bytedeco.javacpp.cachedir).
#
#   bash scripts/gpu-check.sh OUTDIR
#
# OUTDIR gets at most 7 files (the device tool returns 8), written as the steps finish: gpu-check.log (everything
# printed), summary.txt (one line per step, the verdict last), junit-cuda/TEST-junit-jupiter.xml, bench.txt,
# peer.txt, peer.jsonl (one JSON object per peer variant), javacpp-debug.log (only when CUDA did not load).
# Exit code: 0 CUDA is usable and every cuda-tagged test that ran passed; 1 a test failed, the launcher did not
# finish, or a benchmark of ours failed; 2 the carry is incomplete (no jar, no Java); 3 no usable GPU (info
# --device cuda failed).
set -uo pipefail
out=${1:?usage: gpu-check.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
carry=$root/.carry
budget=${GPU_CHECK_BUDGET:-420}
reserve=10  # seconds kept for the summary
exec > >(tee "$out/gpu-check.log") 2>&1
tee_pid=$!
# On exit, close the pipe and let tee finish writing the log before the files are collected.
trap 'exec >&- 2>&-; wait "$tee_pid" 2>/dev/null' EXIT

section() { printf '\n==== [%3ds] %s\n' "$SECONDS" "$*"; }
summary() { echo "$*" >> "$out/summary.txt"; }
: > "$out/summary.txt"
# Seconds a step may take: what it asks for, capped by what is left of the budget.
allow() {
  local left=$((budget - reserve - SECONDS))
  (( left < $1 )) && echo $((left > 0 ? left : 0)) || echo "$1"
}
# bounded SECONDS CMD...: runs CMD under timeout, or reports that no time is left (status 124).
bounded() {
  local want=$1 t; shift
  t=$(allow "$want")
  if (( t < 5 )); then echo "(skipped: the ${budget} s budget is spent)"; return 124; fi
  timeout -k 5 "$t" "$@"
}
verdict() {  # code message
  summary "RESULT: $2"
  section "summary"
  cat "$out/summary.txt"
  echo "(total ${SECONDS} s of the ${budget} s budget; exit $1)"
  exit "$1"
}

section "carried files"
[[ -f $carry/diffiml-native.jar ]] || { summary "carry: no .carry/diffiml-native.jar"; verdict 2 "carry incomplete: run scripts/gpu-carry.sh first and carry .carry"; }
cat "$carry/MANIFEST.txt" 2>/dev/null
uname -srm
summary "commit: $(sed -n 's/^commit: *//p' "$carry/MANIFEST.txt" 2>/dev/null | head -n 1)"

section "GPU (nvidia-smi)"
if command -v nvidia-smi >/dev/null && bounded 20 nvidia-smi; then
  summary "gpu: $(timeout 10 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -n 1)"
else
  echo "nvidia-smi is missing or found no device"
  summary "gpu: nvidia-smi missing or no device"
fi

# Python: the first interpreter that imports torch (the venv's; its nvidia wheels hold cudart and cuBLAS).
section "Python with torch"
torch_py=""
for py in ${PYTHON:-} /opt/torch/.venv/bin/python3 "$(command -v python3 2>/dev/null)" /usr/bin/python3; do
  [[ -n $py && -x $py ]] || continue
  if bounded 60 "$py" -c 'import torch' 2>/dev/null; then torch_py=$py; break; fi
done
any_py=${torch_py:-$(command -v python3 2>/dev/null || true)}
echo "python importing torch: ${torch_py:-none}; python for unpacking and XML: ${any_py:-none}"

section "Java runtime"
java=""
if [[ -f $carry/jre.tar.xz ]]; then
  jre=/tmp/diffiml-jre
  rm -rf "$jre" && mkdir -p "$jre"
  if command -v xz >/dev/null; then
    tar -xJf "$carry/jre.tar.xz" -C "$jre"
  elif [[ -n $any_py ]]; then
    echo "(no xz here: unpacking with Python's tarfile/lzma)"
    "$any_py" -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$carry/jre.tar.xz" "$jre"
  fi
  [[ -x $jre/bin/java ]] && java=$jre/bin/java
fi
[[ -z $java ]] && java=$(command -v java 2>/dev/null || true)
[[ -n $java ]] && "$java" -version || { summary "java: none (no .carry/jre.tar.xz unpacked, no java on PATH)"; verdict 2 "carry incomplete: no Java runtime"; }
jflags=(-Xmx8g "-Dorg.bytedeco.javacpp.cachedir=/tmp/diffiml-javacpp-cache")
"$java" --enable-native-access=ALL-UNNAMED -version >/dev/null 2>&1 && jflags+=(--enable-native-access=ALL-UNNAMED)
jar=$carry/diffiml-native.jar

section "cudart and cuBLAS"
libs=()
if [[ -n $torch_py ]]; then
  while IFS= read -r dir; do libs+=("$dir"); done < <(bounded 60 "$torch_py" - <<'PY' 2>/dev/null
import glob, os
dirs = []
try:
    import nvidia
    for base in nvidia.__path__:
        dirs += sorted(glob.glob(os.path.join(base, "*", "lib")))      # cu13/lib, cudnn/lib, ...
except ImportError:
    pass
for d in dirs:
    if os.path.isdir(d):
        print(d)
PY
  )
fi
[[ -d /usr/local/cuda/lib64 ]] && libs+=(/usr/local/cuda/lib64)
have() { local d; for d in "${libs[@]}"; do [[ -e $d/$1 ]] && { echo "$d/$1"; return 0; }; done; return 1; }
if ! have libcublas.so.13 >/dev/null; then
  echo "libcublas.so.13 not in the wheel folders: bounded search of the file system (20 s)"
  while IFS= read -r f; do libs+=("$(dirname "$f")"); done < <(timeout 20 find / -xdev -maxdepth 9 \
    \( -path /proc -o -path /sys -o -path /tmp/diffiml-jre \) -prune -o \
    \( -name libcublas.so.13 -o -name libcudart.so.13 \) -print 2>/dev/null | sort -u)
fi
found=""
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13; do
  where=$(have "$lib" || echo "NOT FOUND")
  echo "  $lib: $where"
  found+="$lib=${where##*/nvidia/} "
done
joined=$(IFS=:; echo "${libs[*]:-}")
export LD_LIBRARY_PATH=${joined}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
summary "libraries: $found"

section "info"
bounded 40 "$java" "${jflags[@]}" -jar "$jar" info
section "info --device cuda"
bounded 40 "$java" "${jflags[@]}" -jar "$jar" info --device cuda 2>&1 | tee /tmp/diffiml-info-cuda.txt
cuda_exit=${PIPESTATUS[0]}
echo "(exit code $cuda_exit)"
summary "info --device cuda: exit $cuda_exit"
if [[ $cuda_exit -ne 0 ]]; then
  section "why CUDA did not load (JavaCPP loader log, in javacpp-debug.log)"
  bounded 40 "$java" "${jflags[@]}" -Dorg.bytedeco.javacpp.logger.debug=true -jar "$jar" info --device cuda \
    > "$out/javacpp-debug.log" 2>&1
  tail -n 40 "$out/javacpp-debug.log"
  reason=$(grep -v '^[[:space:]]*$' /tmp/diffiml-info-cuda.txt | tail -n 1 | head -c 300)
  summary "cuda unavailable: ${reason:-no message} (loader log: javacpp-debug.log)"
  [[ ${GPU_CHECK_CONTINUE:-0} == 1 ]] || verdict 3 "NO usable GPU: info --device cuda exited $cuda_exit; the CUDA steps did not run"
  echo "(GPU_CHECK_CONTINUE=1: running the remaining steps anyway)"
fi

section "tests tagged cuda (CUDA vs CPU), CUDA_LAUNCH_BLOCKING=1"
cp="$jar:$carry/test-classes"
for j in "$carry"/lib/test/*.jar; do [[ -e $j ]] && cp+=":$j"; done
CUDA_LAUNCH_BLOCKING=1 bounded 150 "$java" "${jflags[@]}" -jar "$carry/lib/junit-platform-console-standalone.jar" \
  execute --class-path "$cp" --scan-class-path "$carry/test-classes" --include-tag=cuda \
  --exclude-engine=junit-vintage --exclude-engine=junit-platform-suite \
  --reports-dir "$out/junit-cuda" --details=tree --disable-banner --disable-ansi-colors
tests_rc=$?
xml=$out/junit-cuda/TEST-junit-jupiter.xml
if [[ -f $xml && -n $any_py ]]; then
  "$any_py" - "$xml" >> "$out/summary.txt" <<'PY'
import collections, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
n = failed = 0
skips = collections.Counter()
failures = []
for s in suites:
    for case in s.iter("testcase"):
        n += 1
        name = case.get("classname", "").rsplit(".", 1)[-1] + "." + case.get("name", "")
        sk = case.find("skipped")
        bad = case.find("failure") if case.find("failure") is not None else case.find("error")
        if sk is not None:
            reason = (sk.get("message") or sk.text or "no reason given").strip().splitlines()[0][:160]
            skips[reason] += 1
        elif bad is not None:
            failed += 1
            failures.append(name + ": " + (bad.get("message") or "").strip().splitlines()[0][:200] if (bad.get("message") or "").strip() else name)
print(f"cuda-tagged tests: {n} found, {n - failed - sum(skips.values())} passed, {failed} failed, {sum(skips.values())} skipped")
for reason, count in skips.most_common():
    print(f"  skipped x{count}: {reason}")
for f in failures:
    print(f"  FAILED {f}")
PY
else
  summary "cuda-tagged tests: no XML report (launcher exit $tests_rc)"
fi
summary "cuda-tagged tests: launcher exit $tests_rc"

section "bench --device cuda (8 steps, 512 px, N = 1 and 5)"
bench_rc=0
run_bench() {  # label, seconds, bench arguments...
  local label=$1 want=$2; shift 2
  echo "---- bench $label: $*" >> "$out/bench.txt"
  bounded "$want" "$java" "${jflags[@]}" -jar "$jar" bench --device cuda --ensembles 1,5 "$@" 2>&1 | tee -a "$out/bench.txt"
  local rc=${PIPESTATUS[0]}
  summary "bench $label: exit $rc$(grep -o 'throughput [0-9.]* images/s' "$out/bench.txt" | tail -n 2 | tr '\n' ' ' | sed 's/^/, N=1,5: /')"
  [[ $rc -ne 0 ]] && bench_rc=1
}
run_bench "batch 1" 60

section "PyTorch peer on the same GPU (.carry/peer/bench.py)"
run_peer() {  # label, seconds, bench.py arguments...
  local label=$1 want=$2; shift 2
  if [[ -z $torch_py || ! -f $carry/peer/bench.py ]]; then
    summary "peer $label: not run (no python that imports torch, or no .carry/peer/bench.py)"; return
  fi
  echo "---- peer $label: $*" >> "$out/peer.txt"
  local json=/tmp/diffiml-peer-$$.json
  rm -f "$json"
  PYTHONUNBUFFERED=1 bounded "$want" "$torch_py" "$carry/peer/bench.py" --device cuda --n 1 5 --runs 10 --warmup 3 \
    --json "$json" "$@" 2>&1 | tee -a "$out/peer.txt"
  local rc=${PIPESTATUS[0]}
  [[ -f $json ]] && { "$any_py" -c 'import json, sys; print(json.dumps({"variant": sys.argv[2], "results": json.load(open(sys.argv[1]))}))' "$json" "$label" >> "$out/peer.jsonl"; }
  summary "peer $label: exit $rc$(grep -o 'N=[15] steps=8: median [0-9.]* ms' "$out/peer.txt" | tail -n 2 | tr '\n' ' ' | sed 's/^/, /')"
}
run_peer eager 45
run_peer "sdpa+tf32" 45 --sdpa --tf32

# Batch 32 after the peer's main variants: if it runs out of time, N = 1 is already in bench.txt.
section "bench --device cuda --batch 32"
run_bench "batch 32" 90 --batch 32 --warmup 1 --iterations 2

section "bench --device cuda --cuda-graphs"
run_bench "batch 1, cuda graphs" 45 --cuda-graphs
section "PyTorch peer: CUDA graphs and torch.compile"
run_peer "cuda-graphs" 45 --cuda-graphs
section "bench --device cuda --tf32 (TF32 GEMMs, the peer's --tf32 counterpart)"
run_bench "batch 1, tf32" 45 --tf32
run_peer compile 100 --compile

if [[ $cuda_exit -ne 0 ]]; then
  verdict 3 "NO usable GPU: info --device cuda exited $cuda_exit (remaining steps rehearsed with GPU_CHECK_CONTINUE=1)"
elif [[ $tests_rc -ne 0 || $bench_rc -ne 0 ]]; then
  verdict 1 "FAILED: cuda tests launcher exit $tests_rc, bench $( [[ $bench_rc -eq 0 ]] && echo ok || echo failed)"
fi
verdict 0 "CUDA usable; every cuda-tagged test that ran passed (skips listed above); benchmarks ran"
