#!/usr/bin/env bash
# Run casebook as `make run` does: the scheduler process beside the web server, stopped with it.
set -euo pipefail

BIN="${BIN:-.venv/bin}"
# `make run PORT=5001` serves on another port than 5000.
PORT="${PORT:-5000}"

# Prepare the database (and, on a first run, the admin account and demo events) before the
# scheduler starts: the two processes never race to migrate, and its start-up catch-up sees the
# demo events, so the summaries page has the ended quarters' summaries from the first minute.
"$BIN/casebook" prepare --url "http://127.0.0.1:$PORT"

"$BIN/casebook" scheduler &
scheduler=$!
trap 'kill -TERM "$scheduler" 2>/dev/null || true; wait "$scheduler" 2>/dev/null || true' EXIT

"$BIN/casebook" serve --port "$PORT" "$@"
