#!/usr/bin/env bash
# The whole test suite: unit, integration and doc tests of every crate (HTTP against wiremock
# and a fake Windmill server, S3 against an in-process S3 server that the tests start
# themselves), then every example, each against its embedded backend.
# Needs only the Rust toolchain: everything else is a Cargo dependency.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust from https://rustup.rs first" >&2
  exit 1
fi

cargo test --workspace --all-features --locked

# Examples must keep running without a server: unset anything that would point them at one.
unset BASE_INTERNAL_URL WM_BASE_URL WM_TOKEN WM_WORKSPACE WM_MOCKED_API_FILE
for example in $(sed -n 's/^name = "\(.*\)"$/\1/p' examples/Cargo.toml | grep -v '^wmill-examples$'); do
  echo "== example $example"
  cargo run --quiet --locked -p wmill-examples --example "$example"
done
