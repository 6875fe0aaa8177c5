#!/usr/bin/env bash
# Install the tools of the client matrix (tests/test_client_matrix.py, marker `clients`):
#   Apache Jena (Debian libapache-jena-java: RIOT and ARQ, run by tests/clients/JenaRun.java with the
#   JDK's source launcher, hence openjdk-17-jdk-headless), rapper (raptor2-utils), Node.js + npm
#   (Debian nodejs/npm, unless a node >= 18 is already there) and Comunica (npm, pinned by
#   tests/clients/package-lock.json, into tests/clients/node_modules).
# Idempotent and fast when everything is there: apt runs only for a missing tool, npm only when
# node_modules is older than the lock file.
#
# Debian's Jena needs one fix to start: its jars relocate the bundled Xerces to the package
# `xerces.` but keep Xerces' message bundles under org/apache/jena/ext/xerces/, so the first XSD
# datatype initialisation dies with "RuntimeException: internal error" (XSSimpleTypeDecl.applyFacets1).
# We copy the bundles to where the relocated classes look, in a folder put first on the classpath
# (tests/clients/.jena-fix, written here), and build the classpath from the package's dependencies.
# Its JSON-LD 1.1 reader (Titanium) cannot run at all: Debian 12 ships the Jakarta JSON API without an
# implementation (no Parsson), so JenaRun.java reads JSON-LD with Jena's JSON-LD 1.0 reader
# (jsonld-java, which needs httpclient-cache and commons-logging on the classpath too).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
missing=()
[ -f /usr/share/java/jena-arq.jar ] || missing+=(libapache-jena-java)
command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v rapper >/dev/null || missing+=(raptor2-utils)
command -v unzip >/dev/null || missing+=(unzip)
node_ok() { command -v node >/dev/null && node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; }
node_ok || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-client-tools: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Jena: classpath and the message-bundle fix
fix=tests/clients/.jena-fix
if [ ! -f "$fix/classpath" ] || [ /usr/share/java/jena-core.jar -nt "$fix/classpath" ]; then
    rm -rf "$fix" && mkdir -p "$fix/res" "$fix/tmp"
    (cd "$fix/tmp" && unzip -q -o /usr/share/java/jena-core.jar 'org/apache/jena/ext/xerces/*')
    find "$fix/tmp" -name '*.properties' | while read -r f; do
        rel=${f#"$fix/tmp/org/apache/jena/ext/"}
        mkdir -p "$fix/res/$(dirname "$rel")" && cp "$f" "$fix/res/$rel"
    done
    rm -rf "$fix/tmp"
    cp="$PWD/$fix/res"
    for j in /usr/share/java/jena-*.jar; do
        case "$j" in *-[0-9]*.jar) ;; *) cp="$cp:$j" ;; esac
    done
    for j in commons-cli commons-codec commons-compress commons-csv commons-io commons-lang3 dexx.collection gson \
             guava httpclient httpcore jackson-core jackson-databind jackson-annotations jsonld-java jakarta.json-api \
             protobuf thrift titanium-json-ld slf4j-api slf4j-nop httpclient-cache commons-logging; do
        [ -f "/usr/share/java/$j.jar" ] || { echo "install-client-tools: /usr/share/java/$j.jar missing" >&2; exit 2; }
        cp="$cp:/usr/share/java/$j.jar"
    done
    echo "$cp" > "$fix/classpath"
fi

# Comunica, from the lock file
if [ ! -d tests/clients/node_modules ] || [ tests/clients/package-lock.json -nt tests/clients/node_modules ]; then
    (cd tests/clients && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    touch tests/clients/node_modules
fi
echo "install-client-tools: jena $(ls /usr/share/java/jena-arq-*.jar | sed 's/.*arq-//; s/.jar//'), $(rapper --version | head -1 | sed 's/^/rapper /'), node $(node --version), comunica $(node -p 'require("./tests/clients/node_modules/@comunica/query-sparql/package.json").version')"
