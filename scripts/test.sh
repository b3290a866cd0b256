#!/usr/bin/env bash
# The whole test suite: unit, integration and doc tests of every crate (HTTP against wiremock
# and a fake Windmill server, S3 against an in-process S3 server that the tests start
# themselves), then every example, each against its embedded backend, then the examples that
# read a server against the fake Windmill server.
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
# The embedded backend has no suspended steps: the approvals example says so, typed.
out=$(cargo run --quiet --locked -p wmill-examples --example approvals)
grep -q "Suspended steps are not supported by the embedded backend" <<<"$out"

# The examples that read a server, against the fake Windmill server (seeded with their items):
# they must say they use the server and print what the server holds.
coproc FAKE { cargo run --quiet --locked -p wmill-tests --bin fake-windmill; }
read -r env_line <&"${FAKE[0]}"
echo "== fake Windmill server: $env_line"
run_against_server() {
  env $env_line cargo run --quiet --locked -p wmill-examples --example "$1"
}
out=$(run_against_server quickstart)
echo "$out"
grep -q "Using the Windmill server" <<<"$out"
grep -q "hello from the fake server" <<<"$out"
grep -q 'host="db.fake"' <<<"$out"
grep -q "run_script_by_path returned 42" <<<"$out"
out=$(run_against_server windmill_script)
echo "$out"
grep -q "Hello from the server, ada!" <<<"$out"
grep -qx "WM_STREAM: counted 2 visit(s) for ada" <<<"$out"
out=$(run_against_server job_logs)
echo "$out"
grep -q "Using the Windmill server" <<<"$out"
grep -q "same text as followed: true" <<<"$out"
grep -q "\] terminé" <<<"$out"
out=$(run_against_server job_states)
echo "$out"
grep -q "Using the Windmill server" <<<"$out"
grep -q ": success in" <<<"$out"
grep -q ": failure: \"bad input\"" <<<"$out"
grep -q ": running since" <<<"$out"
grep -q "canceled by .* (reason: not needed any more)" <<<"$out"
grep -q ": scheduled for " <<<"$out"
# Data tables and DuckLake: the fake server evaluates the SQL the examples send.
out=$(run_against_server datatable)
echo "$out"
grep -q "2 friends aged 18 or more: Ada (36), Robin'); DROP TABLE" <<<"$out"
grep -q "fetch_scalar: 3 friends in all" <<<"$out"
grep -q "blocking fetch_scalar: 1 friend(s) under 18" <<<"$out"
out=$(run_against_server ducklake)
echo "$out"
grep -q "2 login event(s)" <<<"$out"
grep -q "read: 3 event(s) in wmill_rs_example_events" <<<"$out"
out=$(run_against_server list_jobs)
echo "$out"
grep -q "Using the Windmill server" <<<"$out"
grep -q "the 5 jobs started here are all in the listing" <<<"$out"
grep -q "variables under f/examples/: f/examples/db_password" <<<"$out"
# The Python client's documented example, translated line by line (python_seed).
out=$(run_against_server python_seed)
echo "$out"
grep -q "Using the Windmill server" <<<"$out"
grep -qF 'db_config: {"host":"db.fake","port":5433}' <<<"$out"
grep -qF 'f/scripts/calculate returned {"x":10,"y":20}' <<<"$out"
grep -qF '(stored at key path/to/file.txt): "a file on the fake server"' <<<"$out"
grep -qF ': "Hello Windmill!"' <<<"$out"
out=$(run_against_server job_handles)
echo "$out"
grep -q "Using the Windmill server" <<<"$out"
grep -q "returned 50$" <<<"$out"
grep -q "canceled: Job canceled: example: no longer needed" <<<"$out"
grep -q "abandoned run: job .* is Completed { success: false }" <<<"$out"
grep -q "batch: 20 jobs, 8 at a time" <<<"$out"
grep -q "fail-fast batch reported 1 item(s) of 7" <<<"$out"
# Run options: honoured by the server (schedule, queue limit, flow version) or shown in the job;
# the ones an endpoint does not take refused before any request.
out=$(run_against_server run_options)
echo "$out"
grep -q "Using the Windmill server" <<<"$out"
grep -q ": scheduled (tag reports, visible to its owner: false)" <<<"$out"
grep -q "queue limit 0 refused the run (HTTP 500): Internal: Number of queued job is too high: 1 > 0" <<<"$out"
grep -qF 'flow version 41 returned {"message":"v41"}' <<<"$out"
test "$(grep -c '^refused: ' <<<"$out")" -eq 3
# Suspended flows: approved through the resume URL, rejected through the cancel URL, approved
# by job id; the signature never printed.
out=$(run_against_server approvals)
echo "$out"
grep -q "Using the Windmill server" <<<"$out"
grep -qF '"resume":{"approved_amount":100}' <<<"$out"
grep -q "rejected: flow .* canceled (approval request disapproved by bob)" <<<"$out"
grep -qF '"resume":"ok by id"' <<<"$out"
grep -q "/<signature>?approver=ada$" <<<"$out"
# Waits that learn: later runs of a steady script cost fewer requests than without history.
out=$(run_against_server learned_waits)
echo "$out"
grep -q "the history saves requests: true" <<<"$out"
# Observability: the SDK's spans on standard error (fmt) and through OpenTelemetry, each request
# an `http` span under its call; neither the token nor a secret value in any of it.
out=$(run_against_server observability 2>&1)
echo "$out"
grep -q "otel span get_resource (parent: nightly_report) workspace=test path=f/examples/postgres" <<<"$out"
grep -q "otel span http (parent: get_resource) method=GET path=/api/w/test/resources/get_value_interpolated/f/examples/postgres attempt=1 status=200" <<<"$out"
grep -Eq "otel span run_script_by_path \(parent: nightly_report\) workspace=test path=f/examples/add job_id=[0-9a-f-]{36}" <<<"$out"
grep -q 'get_resource{workspace="test" path="f/examples/postgres"}:http{method=GET' <<<"$out"
fake_token=$(sed -n 's/.*WM_TOKEN=\([^ ]*\).*/\1/p' <<<"$env_line")
if [ -z "$fake_token" ] || grep -q -e "fake-s3cret" -e "$fake_token" <<<"$out"; then
  echo "observability: a secret (or the token) reached the trace output" >&2
  exit 1
fi
exec {FAKE[1]}>&-
wait "$FAKE_PID" 2>/dev/null || true
echo "examples against the fake server: ok"

# A workspace seen from a laptop: the fake server with its scripts only and no state path. The
# examples create what they read, keep their state at u/<user>/<example>_state, and name in one
# line the scripts they cannot create.
coproc BARE { cargo run --quiet --locked -p wmill-tests --bin fake-windmill -- --bare; }
read -r bare_line <&"${BARE[0]}"
echo "== bare fake Windmill server: $bare_line"
run_against_bare() {
  env $bare_line cargo run --quiet --locked -p wmill-examples --example "$1"
}
out=$(run_against_bare python_seed)
echo "$out"
grep -q "created variable u/user/api_key" <<<"$out"
grep -q "created resource u/user/db_config (postgresql)" <<<"$out"
grep -qF 'created file s3:////path/to/file.txt' <<<"$out"
grep -qF '(stored at key path/to/file.txt): "a file to load"' <<<"$out"
for run in 1 2; do
  out=$(run_against_bare quickstart)
  echo "$out"
  grep -q "the state is kept at u/fake/quickstart_state" <<<"$out"
  grep -q "state after: Some($run)" <<<"$out"
done
if grep -q "created variable" <<<"$out"; then
  echo "a second run must find what the first created" >&2
  exit 1
fi
out=$(run_against_bare windmill_script)
echo "$out"
grep -q "created variable f/examples/greeting_template" <<<"$out"
grep -q "Welcome back, ada!" <<<"$out"
if out=$(run_against_bare run_jobs 2>&1); then
  echo "run_jobs must stop when its scripts are missing" >&2
  exit 1
fi
echo "$out"
grep -q "Create in workspace test first.*script f/examples/square.*flow f/examples/pipeline" <<<"$out"
exec {BARE[1]}>&-
wait "$BARE_PID" 2>/dev/null || true
echo "examples against a bare fake server: ok"
