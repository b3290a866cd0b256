#!/usr/bin/env bash
# What a script's first run waits for: the cold debug build of a one-line binary that depends on
# the SDK, each variant in its own fresh target directory (nothing shared, nothing cached but the
# downloaded sources). Prints, per variant, the wall time, the CPU time (user + system, every
# rustc and build script included) and the number of packages in the binary's Cargo.lock.
#
#   scripts/build-cost.sh                  # all four variants
#   scripts/build-cost.sh ours-http core   # some of them
#   TIMINGS_DIR=/tmp/t scripts/build-cost.sh   # also keep each build's `--timings` report there
#
# Variants: `official` (the crates.io crate `wmill` 1.856.0, feature `async`), `ours-default`
# (this repository's `wmill`, default features), `ours-http` (`wmill`, feature `http` only),
# `core` (`wmill-core` alone), and `ours:http,http2` for any other feature list of `wmill`. This repository's crates are used by path, with the versions of its
# Cargo.lock; the official crate is resolved as a new project would resolve it. The sources are
# downloaded before the clock starts. Run it on an otherwise idle machine: wall times move with the
# load, CPU times much less.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(official ours-default ours-http core)

work="$(mktemp -d /tmp/wmill-build-cost.XXXXXX)"
trap 'rm -rf "$work"' EXIT

dependency() {
  case "$1" in
    official) echo 'wmill = { version = "=1.856.0", features = ["async"] }' ;;
    ours-default) echo "wmill = { path = \"$repo/crates/wmill\" }" ;;
    ours-http) echo "wmill = { path = \"$repo/crates/wmill\", default-features = false, features = [\"http\"] }" ;;
    core) echo "wmill-core = { path = \"$repo/crates/wmill-core\" }" ;;
    ours:*)
      local features
      features="$(sed 's/[^,][^,]*/"&"/g; s/,/, /g' <<<"${1#ours:}")"
      echo "wmill = { path = \"$repo/crates/wmill\", default-features = false, features = [$features] }" ;;
    *) echo "unknown variant: $1 (official, ours-default, ours-http, core, ours:FEATURE,...)" >&2; return 1 ;;
  esac
}

printf '| %s | %s | %s | %s | %s |\n' variant "wall s" "CPU s (user + sys)" "crates in Cargo.lock" "units built"
printf '|---|---|---|---|---|\n'
for variant in "${variants[@]}"; do
  dir="$work/${variant//[:,]/-}"
  mkdir -p "$dir/src"
  dep="$(dependency "$variant")"
  lib="$(sed -n 's/^\([a-z-]*\) = .*/\1/p' <<<"$dep" | tr - _)"
  cat >"$dir/Cargo.toml" <<TOML
[package]
name = "build-cost-${variant//[:,]/-}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
$dep

[workspace]
TOML
  echo "use $lib as _; fn main() {}" >"$dir/src/main.rs"
  # This repository's crates build with the versions its tests run with.
  [ "$variant" = official ] || cp "$repo/Cargo.lock" "$dir/Cargo.lock"
  (cd "$dir" && cargo fetch --quiet)
  export CARGO_TARGET_DIR="$dir/target"
  timings=()
  [ -z "${TIMINGS_DIR:-}" ] || timings=(--timings)
  /usr/bin/time -f '%e %U %S' -o "$dir/time" \
    cargo build --quiet --offline --manifest-path "$dir/Cargo.toml" "${timings[@]}"
  read -r wall user sys <"$dir/time"
  crates="$(grep -c '^name = ' "$dir/Cargo.lock")"
  units="$(ls "$CARGO_TARGET_DIR/debug/.fingerprint" | wc -l)"
  if [ -n "${TIMINGS_DIR:-}" ]; then
    mkdir -p "$TIMINGS_DIR"
    cp "$CARGO_TARGET_DIR"/cargo-timings/cargo-timing.html "$TIMINGS_DIR/${variant//[:,]/-}.html"
  fi
  printf '| %s | %.1f | %.1f | %s | %s |\n' "$variant" "$wall" "$(echo "$user + $sys" | bc)" "$crates" "$units"
  rm -rf "$dir"
  unset CARGO_TARGET_DIR
done
