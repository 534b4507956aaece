#!/usr/bin/env bash
# Fills .carry/ (git-ignored) with what the GPU machine needs to run scripts/gpu-check.sh: that machine has the
# NVIDIA driver, CUDA 13 and Python with PyTorch, but no Java, no Maven and no network. Run it here, then carry
# .carry/ along with the working tree (the device tool: carry [".carry"], command "bash scripts/gpu-check.sh $OUT").
#
#   scripts/gpu-carry.sh
#
# .carry/ afterwards:
#   jre.tar.xz                  a Temurin 25 runtime, packed by ../shared/tools/pack-java-runtime.sh (~20 MB)
#   diffiml-native.jar          the fat jar: classes, dependencies, libdiffiml and the sm_80/86/90 CUDA kernels
#   test-classes/               target/test-classes (the JUnit suite; gpu-check.sh runs its cuda-tagged tests)
#   lib/junit-platform-console-standalone.jar   the JUnit console launcher (Jupiter engine included)
#   lib/test/                   test-scope dependencies other than JUnit's own (none today)
#   peer/bench.py, peer/diffiml_ref.py          the PyTorch peer from ../shared/peer (../shared does not travel)
#   MANIFEST.txt                the commit, build time and sizes
# The JMH benchmarks are not packed: on the GPU machine `bench --device cuda` measures the same path.
# The jar and the test classes are rebuilt (nice -n 19 mvn package -DskipTests) when missing or older than any
# source. The device tool carries at most 64 MiB (working tree + carried paths): the script fails above that.
# Environment: DIFFIML_SHARED (default ../shared beside the checkout).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
shared=${DIFFIML_SHARED:-$root/../shared}
carry=.carry
limit=$((64 * 1024 * 1024))
mvn=(nice -n 19 mvn -B -q -Dstyle.color=never)

pack=$shared/tools/pack-java-runtime.sh
[[ -f $pack ]] || { echo "gpu-carry: $pack not found (set DIFFIML_SHARED to the shared folder)" >&2; exit 1; }
for f in bench.py diffiml_ref.py; do
  [[ -f $shared/peer/$f ]] || { echo "gpu-carry: $shared/peer/$f not found (the PyTorch peer)" >&2; exit 1; }
done

# 1. The jar and the test classes, rebuilt when stale.
if [[ ! -f target/diffiml-native.jar || ! -d target/test-classes ]] ||
    [[ -n $(find pom.xml CMakeLists.txt native cuda src -newer target/diffiml-native.jar -print -quit) ]]; then
  echo "gpu-carry: building the jar and the test classes (mvn -B -q package -DskipTests)"
  "${mvn[@]}" package -DskipTests
fi

# 2. The JUnit console launcher (version from the pom) and any test-only dependencies that are not JUnit's own.
"${mvn[@]}" dependency:copy@console-launcher
rm -rf "$carry/lib"
mkdir -p "$carry/lib/test"
cp target/console-launcher/junit-platform-console-standalone.jar "$carry/lib/"
# Test-only = the test class path minus the runtime class path (which the fat jar already holds).
deps=target/gpu-carry-deps
rm -rf "$deps"
"${mvn[@]}" dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$root/$deps/test" \
  -DexcludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian
"${mvn[@]}" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$root/$deps/runtime"
for jar in "$deps"/test/*.jar; do
  [[ -e $jar && ! -e $deps/runtime/$(basename "$jar") ]] && cp "$jar" "$carry/lib/test/"
done

# 3. The Java runtime, packed once per JDK.
stamp="$(ls -d /usr/lib/jvm/temurin-*-jdk-amd64 2>/dev/null | sort -V | tail -n 1)"
if [[ ! -f $carry/jre.tar.xz || $(cat "$carry/jre.stamp" 2>/dev/null) != "$stamp" ]]; then
  nice -n 19 bash "$pack" "$root/$carry/jre.tar.xz"
  echo "$stamp" > "$carry/jre.stamp"
fi

# 4. The jar, the test classes, the peer; no stale benchmarks jar from an older carry.
cp target/diffiml-native.jar "$carry/"
rm -rf "$carry/test-classes" "$carry/peer" "$carry/benchmarks.jar"
cp -r target/test-classes "$carry/test-classes"
mkdir -p "$carry/peer"
cp "$shared/peer/bench.py" "$shared/peer/diffiml_ref.py" "$carry/peer/"

# 5. What was packed, and the size check.
{
  echo "commit:  $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "packed:  $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
  (cd "$carry" && du -ab --max-depth=1 . | sort -k2 | awk '{printf "  %10d  %s\n", $1, $2}')
} > "$carry/MANIFEST.txt"
size=$(du -sb "$carry" | cut -f1)
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 du -cb 2>/dev/null | tail -n 1 | cut -f1)
cat "$carry/MANIFEST.txt"
awk -v c="$size" -v t="$tree" 'BEGIN { printf "gpu-carry: .carry is %.1f MiB; with the working tree (%.1f MiB) %.1f MiB of the 64 MiB the device tool carries\n", c / 1048576, t / 1048576, (c + t) / 1048576 }'
if (( size + tree >= limit )); then
  echo "gpu-carry: too large for the device tool (64 MiB): shrink the fat jar" >&2
  exit 1
fi
