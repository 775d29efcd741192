#!/bin/sh
# Builds the staging library's reference (imsweb staging-client-java) with a small driver, for
# TestDifferentialAgainstTheJavaLibrary. Not part of `make test`: it needs a JDK, Debian's Jackson
# (apt-get install libjackson2-databind-java libcommons-lang3-java libslf4j-java) and a checkout of
# the library's sources. The library's glossary search (Aho-Corasick) and caches (cache2k) are
# replaced by the stand-ins in stubs/, which staging does not need.
#
#   sh build.sh SRC_DIR OUT_DIR   # SRC_DIR holds the library's src/main/java
#   CARA_STAGING_DIFF="$(sh build.sh ...)" go test ./internal/staging/ -run Differential -v
set -eu
src=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
cp="/usr/share/java/jackson-databind.jar:/usr/share/java/jackson-core.jar:/usr/share/java/jackson-annotations.jar:/usr/share/java/commons-lang3.jar:/usr/share/java/slf4j-api.jar"
mkdir -p "$out/src" "$out/classes"
cp -r "$src/src/main/java/." "$out/src/"
# The library's newest sources need Java 21 for List.getFirst; Debian 12 has 17.
grep -rl 'getFirst()' "$out/src" | xargs -r sed -i 's/\.getFirst()/.get(0)/g'
javac -nowarn -d "$out/classes" -cp "$cp" $(find "$out/src" "$here/stubs" "$here/driver" -name '*.java') >&2
echo "java -cp $out/classes:$cp:/usr/share/java/slf4j-nop.jar Diff"
