#!/usr/bin/env bash
# Make sure what the tests need outside Python is here: Chromium, pdftoppm, Java and a PostgreSQL server.
# Installs them from Debian's packages where missing; fails (never skips) if it cannot.
set -euo pipefail

PGHOST_ADDR=${CASEBOOK_TEST_PGHOST:-127.0.0.1}
PGPORT_NUM=${CASEBOOK_TEST_PGPORT:-5432}

apt_install() {
    if [ "$(id -u)" != 0 ]; then
        echo "error: $* missing and not root to install it (apt-get install $*)" >&2
        exit 1
    fi
    if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v chromium >/dev/null 2>&1; then
    echo "Installing Chromium for the browser tests..."
    apt_install chromium
fi
command -v chromium >/dev/null 2>&1 || { echo "error: chromium is required for the browser tests" >&2; exit 1; }

# pdftoppm turns the printed review (Chromium's PDF) into page images; Java runs the HTML checker.
if ! command -v pdftoppm >/dev/null 2>&1; then
    echo "Installing poppler-utils for the printed-review pages..."
    apt_install poppler-utils
fi
if ! command -v java >/dev/null 2>&1; then
    echo "Installing a Java runtime for the HTML checker (vnu)..."
    apt_install default-jre-headless
fi
command -v pdftoppm >/dev/null 2>&1 || { echo "error: pdftoppm is required for the printed-review pages" >&2; exit 1; }
command -v java >/dev/null 2>&1 || { echo "error: java is required for the HTML checker" >&2; exit 1; }

pg_ready() { pg_isready -q -h "$PGHOST_ADDR" -p "$PGPORT_NUM" 2>/dev/null; }
if ! pg_ready; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        echo "Installing PostgreSQL for the storage tests..."
        apt_install postgresql
    fi
    version=$(ls /etc/postgresql | sort -n | tail -1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
pg_ready || { echo "error: PostgreSQL is required at $PGHOST_ADDR:$PGPORT_NUM and is not running" >&2; exit 1; }
echo "Chromium, pdftoppm, Java and PostgreSQL are ready."
