#!/usr/bin/env bash
# Fills .carry/ (git-ignored) with what the GPU machine needs to run scripts/gpu-check.sh: that machine has the
# NVIDIA driver, CUDA 13 and Python, but no Java, no Maven and no network. Run it here, then carry .carry/
# along with the working tree (the device tool: carry [".carry"], command "bash scripts/gpu-check.sh $OUT").
#
#   scripts/gpu-carry.sh
#
# .carry/ afterwards:
#   jre.tar.xz                  a Temurin 25 runtime, packed by ../shared/tools/pack-java-runtime.sh (~20 MB)
#   diffiml-native.jar          the fat jar: classes, dependencies, libdiffiml and the sm_80/86/90 CUDA kernels
#   test-classes/               target/test-classes (the whole JUnit suite, cuda-tagged tests included)
#   lib/junit-platform-console-standalone.jar   the JUnit console launcher (Jupiter engine included)
#   lib/test/                   test-scope dependencies other than JUnit's own (none today)
#   benchmarks.jar              the JMH benchmarks jar, when benchmarks/target/benchmarks.jar has been built
#   MANIFEST.txt                the commit, build time and sizes
# The jar and the test classes are rebuilt (mvn package -DskipTests) when missing or older than any source.
# The device tool carries at most 64 MiB (working tree + carried paths): the script fails above that.
# Environment: DIFFIML_SHARED (default ../shared beside the checkout), BENCH_JAR (default
# benchmarks/target/benchmarks.jar).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
shared=${DIFFIML_SHARED:-$root/../shared}
bench_jar=${BENCH_JAR:-benchmarks/target/benchmarks.jar}
carry=.carry
limit=$((64 * 1024 * 1024))
# Modules of the runtime beyond the tool's defaults: jdk.management for JMH's profilers.
jre_modules=jdk.management

pack=$shared/tools/pack-java-runtime.sh
[[ -x $pack || -f $pack ]] || { echo "gpu-carry: $pack not found (set DIFFIML_SHARED to the shared folder)" >&2; exit 1; }

# 1. The jar and the test classes, rebuilt when stale.
if [[ ! -f target/diffiml-native.jar || ! -d target/test-classes ]] ||
    [[ -n $(find pom.xml CMakeLists.txt native cuda src -newer target/diffiml-native.jar -print -quit) ]]; then
  echo "gpu-carry: building the jar and the test classes (mvn -B -q -Dstyle.color=never package -DskipTests)"
  mvn -B -q -Dstyle.color=never package -DskipTests
fi

# 2. The JUnit console launcher (version from the pom) and any test-only dependencies that are not JUnit's own.
mvn -B -q -Dstyle.color=never dependency:copy@console-launcher
rm -rf "$carry/lib"
mkdir -p "$carry/lib/test"
cp target/console-launcher/junit-platform-console-standalone.jar "$carry/lib/"
# Test-only = the test class path minus the runtime class path (which the fat jar already holds).
deps=target/gpu-carry-deps
rm -rf "$deps"
mvn -B -q -Dstyle.color=never dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$root/$deps/test" \
  -DexcludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian
mvn -B -q -Dstyle.color=never dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$root/$deps/runtime"
for jar in "$deps"/test/*.jar; do
  [[ -e $jar && ! -e $deps/runtime/$(basename "$jar") ]] && cp "$jar" "$carry/lib/test/"
done

# 3. The Java runtime, packed once per JDK and module set.
stamp="$(ls -d /usr/lib/jvm/temurin-*-jdk-amd64 2>/dev/null | sort -V | tail -n 1) $jre_modules"
if [[ ! -f $carry/jre.tar.xz || $(cat "$carry/jre.stamp" 2>/dev/null) != "$stamp" ]]; then
  bash "$pack" "$root/$carry/jre.tar.xz" "$jre_modules"
  echo "$stamp" > "$carry/jre.stamp"
fi

# 4. The jar, the test classes and the benchmarks.
cp target/diffiml-native.jar "$carry/"
rm -rf "$carry/test-classes"
cp -r target/test-classes "$carry/test-classes"
rm -f "$carry/benchmarks.jar"
if [[ -f $bench_jar ]]; then
  cp "$bench_jar" "$carry/benchmarks.jar"
else
  echo "gpu-carry: no benchmarks jar at $bench_jar: gpu-check.sh will skip the benchmarks"
fi

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
  echo "gpu-carry: too large for the device tool (64 MiB): leave out the benchmarks jar or shrink the fat jar" >&2
  exit 1
fi
