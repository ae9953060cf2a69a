#!/usr/bin/env bash
# Run casebook as `make run` does: the scheduler process beside the web server, stopped with it.
set -euo pipefail

BIN="${BIN:-.venv/bin}"

# Create or upgrade the database first, so the two processes never race to migrate it.
"$BIN/casebook" init

"$BIN/casebook" scheduler &
scheduler=$!
trap 'kill -TERM "$scheduler" 2>/dev/null || true; wait "$scheduler" 2>/dev/null || true' EXIT

"$BIN/casebook" serve "$@"
