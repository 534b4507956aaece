#!/usr/bin/env bash
# Fuzzing campaign over the file parsers (Jazzer, coverage-guided). Usage:
#   scripts/fuzz.sh [TARGET...]        TARGET = Class#method (default: every target below)
#   EXECS=1000000 (executions per target; 0 = no limit) DURATION=30m (per target; empty = no limit) HEAP=1g
# Each target runs in its own JVM (Jazzer fuzzes one @FuzzTest per run) with a small heap, so that a parser that
# allocates what a file declares instead of what it holds shows up as an OutOfMemoryError. New coverage goes to
# .cifuzz-corpus/ (ignored by git); a finding is written into the target's committed corpus folder
# (src/test/resources/<package>/<Class>Inputs/<method>/crash-*) and fails the run, so that after the fix it is
# replayed by every `mvn verify`. Logs and a summary (executions and findings per target) go to .fuzz/<date>/.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(
    ai.diffiml.io.WeightFilesFuzzTest#safetensorsReadsOrRefuses
    ai.diffiml.io.WeightFilesFuzzTest#torchZipReadsOrRefuses
    ai.diffiml.io.WeightFilesFuzzTest#torchPickleReadsOrRefuses
    ai.diffiml.io.CheckpointJsonFuzzTest#checkpointJsonReadsOrRefuses
    ai.diffiml.io.CheckpointJsonFuzzTest#modelConfigReadsOrRefuses
    ai.diffiml.train.RunConfigFuzzTest#runConfigReadsOrRefuses
    ai.diffiml.data.ImageFilesFuzzTest#imageDecodesOrRefuses
    ai.diffiml.data.ImageFilesFuzzTest#maskDecodesOrRefuses
    ai.diffiml.data.DatasetListsFuzzTest#bencoJsonListReadsOrRefuses
    ai.diffiml.data.DatasetListsFuzzTest#mvssListReadsOrRefuses
  )
fi
OUT=".fuzz/$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
[ -f target/test-classes/ai/diffiml/io/WeightFilesFuzzTest.class ] || mvn -B -q test-compile
SUMMARY="$OUT/summary.txt"
for t in "${TARGETS[@]}"; do
  log="$OUT/${t##*.}.log"
  start=$(date +%s)
  set +e
  JAZZER_FUZZ=1 JAZZER_MAX_EXECUTIONS="${EXECS:-1000000}" JAZZER_MAX_DURATION="${DURATION:-}" \
    mvn -B surefire:test -Dtest="$t" -DtrimStackTrace=false -DargLine="-Xmx${HEAP:-1g} -Xss1m" >"$log" 2>&1
  rc=$?
  set -e
  secs=$(( $(date +%s) - start ))
  # libFuzzer's last status line ("#N DONE ..." or "#N ... exec/s") and its "Done N runs" line
  runs=$(grep -aoE 'Done [0-9]+ runs' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  [ -n "$runs" ] || runs=$(grep -aoE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  findings=$(grep -acE '== Java Exception|FuzzTestFindingException|Test unit written to' "$log" || true)
  printf '%-72s executions %-10s findings %-3s rc %s  %ss\n' "$t" "${runs:-?}" "$findings" "$rc" "$secs" | tee -a "$SUMMARY"
done
echo "logs: $OUT"
