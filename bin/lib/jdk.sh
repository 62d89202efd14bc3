# Sourced by bin/conduit and bin/test: sets CONDUIT_JAVA_HOME to a JDK 25 or newer, or exits
# with one sentence saying what to install. Looks at JAVA_HOME, then `java` on PATH, then the
# usual install folders, so a machine whose default java is older still works.

conduit_jdk_major() { # prints the feature version of the JDK at $1, or nothing
    local home=$1 line
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
    if [ -f "$home/release" ]; then
        line=$(grep -E '^JAVA_VERSION=' "$home/release" 2>/dev/null | head -n 1)
        line=${line#JAVA_VERSION=\"}
        line=${line%%[.\"+-]*}
        if [ -n "$line" ]; then echo "$line"; return 0; fi
    fi
    "$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}

conduit_find_jdk() {
    local wanted=25 candidate major path_java
    local candidates=()
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
    if path_java=$(command -v java 2>/dev/null); then
        path_java=$(readlink -f "$path_java")
        candidates+=("${path_java%/bin/java}")
    fi
    for candidate in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* /usr/local/jdk* \
        "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* \
        /Library/Java/JavaVirtualMachines/*/Contents/Home; do
        [ -d "$candidate" ] && candidates+=("$candidate")
    done
    for candidate in "${candidates[@]}"; do
        major=$(conduit_jdk_major "$candidate")
        if [ -n "$major" ] && [ "$major" -ge "$wanted" ] 2>/dev/null; then
            CONDUIT_JAVA_HOME=$candidate
            return 0
        fi
    done
    echo "conduit: no JDK $wanted or newer found (looked at JAVA_HOME, java on PATH and /usr/lib/jvm);" \
        "install one (for example Temurin 25) or set JAVA_HOME to it." >&2
    exit 1
}

conduit_find_jdk
export JAVA_HOME=$CONDUIT_JAVA_HOME
