#!/usr/bin/env bash
# One run on the GPU machine (NVIDIA driver + CUDA 13 + Python wheels, no Java, no network), from what
# scripts/gpu-carry.sh packed into .carry/:
#   1. unpacks the Java runtime to /tmp and puts /usr/local/cuda/lib64 and the pip wheels' nvidia/*/lib folders
#      (found through python3) on LD_LIBRARY_PATH;
#   2. prints nvidia-smi, then `info` and `info --device cuda` from the fat jar;
#   3. runs the JUnit suite with the console launcher, twice: the cuda-tagged tests (CUDA vs CPU parity), then
#      all others; XML reports go to OUTDIR/junit-cuda and OUTDIR/junit-other;
#   4. runs .carry/benchmarks.jar (JMH) with short settings, if it was packed; results in OUTDIR/jmh.json.
#
#   bash scripts/gpu-check.sh OUTDIR
#
# OUTDIR gets at most 6 files (the device tool returns 8): gpu-check.log (everything printed), summary.txt,
# junit-cuda/TEST-junit-jupiter.xml, junit-other/TEST-junit-jupiter.xml, jmh.json, jmh.txt.
# Exit code: 0 all tests passed on a usable GPU; 1 a test failed (or the launcher could not run);
# 3 the tests passed but no GPU was usable, so the cuda-tagged tests were skipped.
# Environment: TEST_TIMEOUT (seconds per launcher run, default 240), BENCH_TIMEOUT (default 180),
# JMH_ARGS (default "-f 1 -wi 1 -i 3 -w 1s -r 1s").
set -uo pipefail
out=${1:?usage: gpu-check.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
carry=$root/.carry
exec > >(tee "$out/gpu-check.log") 2>&1
tee_pid=$!
# On exit, close the pipe and let tee finish writing the log before the files are collected.
trap 'exec >&- 2>&-; wait "$tee_pid" 2>/dev/null' EXIT

section() { printf '\n==== %s\n' "$*"; }
summary() { echo "$*" >> "$out/summary.txt"; }
: > "$out/summary.txt"

section "carried files"
[[ -f $carry/diffiml-native.jar ]] || { echo "no .carry/diffiml-native.jar: run scripts/gpu-carry.sh first and carry .carry"; exit 1; }
cat "$carry/MANIFEST.txt" 2>/dev/null
uname -srm

section "Java runtime"
if [[ -f $carry/jre.tar.xz ]]; then
  jre=/tmp/diffiml-jre
  rm -rf "$jre" && mkdir -p "$jre" && tar -xJf "$carry/jre.tar.xz" -C "$jre"
  java=$jre/bin/java
else
  java=$(command -v java) || { echo "no .carry/jre.tar.xz and no java on PATH"; exit 1; }
fi
"$java" -version || exit 1
# JDK 22+ warns on stderr when JavaCPP loads native code from the class path; the jar's manifest allows it for
# `java -jar`, the launcher's JVM needs the flag (accepted since JDK 17).
jvm_flags=(-Xmx6g)
"$java" --enable-native-access=ALL-UNNAMED -version >/dev/null 2>&1 && jvm_flags+=(--enable-native-access=ALL-UNNAMED)

section "library path"
libs=()
[[ -d /usr/local/cuda/lib64 ]] && libs+=(/usr/local/cuda/lib64)
if command -v python3 >/dev/null; then
  while IFS= read -r dir; do libs+=("$dir"); done < <(python3 - <<'PY' 2>/dev/null
import glob, os
try:
    import nvidia
except ImportError:
    raise SystemExit(0)
for base in nvidia.__path__:
    for d in sorted(glob.glob(os.path.join(base, "*", "lib"))):
        print(d)
PY
  )
  echo "python3: $(command -v python3)"
else
  echo "python3: not found (no pip CUDA wheels on the library path)"
fi
joined=$(IFS=:; echo "${libs[*]:-}")
export LD_LIBRARY_PATH=${joined}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"

section "GPU"
gpu=0
if command -v nvidia-smi >/dev/null && nvidia-smi; then
  gpu=1
  summary "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -n 1)"
else
  echo "NO GPU: nvidia-smi is missing or found no device; the cuda-tagged tests will be skipped"
  summary "gpu: NONE (nvidia-smi missing or no device): cuda-tagged tests cannot run here"
fi

section "info"
"$java" -jar "$carry/diffiml-native.jar" info
section "info --device cuda"
"$java" -jar "$carry/diffiml-native.jar" info --device cuda
cuda_exit=$?
echo "(exit code $cuda_exit)"
if [[ $gpu -eq 1 && $cuda_exit -ne 0 ]]; then
  section "why CUDA did not load (JavaCPP debug log)"
  "$java" -Dorg.bytedeco.javacpp.logger.debug=true -jar "$carry/diffiml-native.jar" info --device cuda 2>&1 | tail -n 60
fi
summary "info --device cuda: exit $cuda_exit"

# Runs the launcher on the test classes; $1 = report folder name, the rest = tag filter.
run_tests() {
  local name=$1; shift
  local cp="$carry/diffiml-native.jar:$carry/test-classes"
  for jar in "$carry"/lib/test/*.jar; do [[ -e $jar ]] && cp+=":$jar"; done
  timeout "${TEST_TIMEOUT:-240}" "$java" "${jvm_flags[@]}" -jar "$carry/lib/junit-platform-console-standalone.jar" execute \
    --class-path "$cp" --scan-class-path "$carry/test-classes" "$@" \
    --exclude-engine=junit-vintage --exclude-engine=junit-platform-suite \
    --reports-dir "$out/$name" --details=tree --disable-banner --disable-ansi-colors
}

# Counts from a JUnit XML report: "found skipped failures errors".
counts() {
  local xml=$1/TEST-junit-jupiter.xml
  [[ -f $xml ]] || { echo "? ? ? ?"; return; }
  local head
  head=$(grep -m 1 -o '<testsuite [^>]*>' "$xml")
  for attr in tests skipped failures errors; do
    printf '%s ' "$(sed -n "s/.* $attr=\"\([0-9]*\)\".*/\1/p" <<< "$head")"
  done
}

section "tests tagged cuda (CUDA vs CPU)"
run_tests junit-cuda --include-tag=cuda
cuda_rc=$?
read -r c_tests c_skipped c_failed c_errors <<< "$(counts "$out/junit-cuda")"
summary "cuda-tagged tests: $c_tests found, $c_skipped skipped, $c_failed failed, $c_errors errors (launcher exit $cuda_rc)"

section "all other tests"
run_tests junit-other --exclude-tag=cuda
other_rc=$?
read -r o_tests o_skipped o_failed o_errors <<< "$(counts "$out/junit-other")"
summary "other tests: $o_tests found, $o_skipped skipped, $o_failed failed, $o_errors errors (launcher exit $other_rc)"

section "benchmarks"
if [[ -f $carry/benchmarks.jar ]]; then
  # shellcheck disable=SC2086
  timeout "${BENCH_TIMEOUT:-180}" "$java" -cp "$carry/benchmarks.jar:$carry/diffiml-native.jar" org.openjdk.jmh.Main \
    ${JMH_ARGS:--f 1 -wi 1 -i 3 -w 1s -r 1s} \
    -rf json -rff "$out/jmh.json" 2>&1 | tee "$out/jmh.txt"
  bench_rc=${PIPESTATUS[0]}
  summary "benchmarks: exit $bench_rc (jmh.json, jmh.txt)"
else
  echo "no .carry/benchmarks.jar: benchmarks skipped"
  summary "benchmarks: not packed"
fi

section "summary"
status=0
if [[ $cuda_rc -ne 0 || $other_rc -ne 0 ]]; then
  status=1
  summary "RESULT: FAILED (a test failed or the launcher did not finish)"
elif [[ $gpu -eq 0 || $c_skipped != 0 ]]; then
  status=3
  summary "RESULT: CPU tests passed, but NO usable GPU: $c_skipped cuda-tagged tests were skipped"
else
  summary "RESULT: all tests passed, cuda-tagged tests included"
fi
cat "$out/summary.txt"
exit $status
