#!/usr/bin/env bash
# Reruns every figure of docs/performance.md and prints its tables (about 8 minutes on 2 cores).
# Run it on an otherwise idle machine: the figures are wall-clock and CPU times.
#   bench/run.sh            everything
#   bench/run.sh waits      one part: waits | fleet | logs | variables | blocking | listings | batch | s3 | footprint
#   bench/run.sh waits-off-grid   waits at job durations off the schedules' grids (not part of "everything")
set -euo pipefail
cd "$(dirname "$0")/.."
part=${1:-all}

if [ "$part" != footprint ]; then
  cargo build --release --locked -q -p wmill-bench
  bench="${CARGO_TARGET_DIR:-target}/release/wmill-bench"
  if [ "$part" = all ]; then
    "$bench"
  else
    "$bench" "$part"
  fi
fi

if [ "$part" = all ] || [ "$part" = footprint ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  cold() { # name, cargo build args...: wall time and number of crates compiled from scratch
    local name=$1; shift
    local start end
    start=$(date +%s.%N)
    CARGO_TARGET_DIR="$tmp/$name" cargo build --locked "$@" 2>"$tmp/$name.log"
    end=$(date +%s.%N)
    printf '| %s | `cargo build %s` | %s s | %s |\n' "$name" "$*" "$(awk "BEGIN { printf \"%.0f\", $end - $start }")" \
      "$(grep -c '^ *Compiling ' "$tmp/$name.log")"
  }
  unique_deps() { cargo tree --locked -e normal --prefix none --format '{p}' "$@" | sed 's/ (\*)$//; s/ (proc-macro)$//' | sort -u | wc -l; }
  echo "### Build and footprint"
  echo
  echo "| what | command | cold debug build | crates compiled |"
  echo "|---|---|---|---|"
  cargo fetch --locked -q
  cold wmill-core -p wmill-core
  cold wmill-default -p wmill
  echo
  echo "| crate | normal dependencies (unique packages, itself included) |"
  echo "|---|---|"
  echo "| wmill-core | $(unique_deps -p wmill-core) |"
  echo "| wmill (default features) | $(unique_deps -p wmill) |"
  echo
  cargo build --release --locked -q -p wmill-examples --example quickstart
  size=$(stat -c %s target/release/examples/quickstart)
  echo "release binary of the quickstart: $((size / 1024)) KiB ($(du -h target/release/examples/quickstart | cut -f1)), stripped: $(strip -o "$tmp/qs" target/release/examples/quickstart && du -h "$tmp/qs" | cut -f1)"
fi
