# Sourced by the launchers after jdk.sh: build_if_stale NAME STAMP MAVEN_ARGS... builds with the
# Maven wrapper when STAMP is missing or a source, pom or main resource under the repository is
# newer than it, then touches STAMP. The stamp is taken before building, so an edit made during
# the build is seen next time. Needs $root.
build_if_stale() {
    local name=$1 stamp=$2
    shift 2
    if [ -f "$stamp" ] && [ -z "$(find "$root" \( -path "$root/.git" -o -name target -o -name node_modules \) -prune \
            -o \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$stamp" -print -quit)" ]; then
        return 0
    fi
    echo "$name: building (first run or sources changed)..." >&2
    mkdir -p "$(dirname "$stamp")"
    touch "$stamp.new"
    (cd "$root" && ./mvnw --batch-mode --no-transfer-progress --quiet -DskipTests "$@") >&2
    mv "$stamp.new" "$stamp"
}
