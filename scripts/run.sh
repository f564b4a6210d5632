#!/usr/bin/env bash
# `make run`: migrate, load the demo scenario, start web + Celery worker + beat.
# With DATABASE_URL unset the embedded PostgreSQL under var/pg is used; with
# CELERY_BROKER_URL unset, kombu's filesystem transport under var/broker.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
CELERY=.venv/bin/celery
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
mkdir -p var/log
export SITE_URL="${SITE_URL:-http://$HOST:$PORT}"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "Stopping…"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# Keep one handle on the embedded database for the whole run, so it is not stopped and
# started again between the steps below.
if [ -z "${DATABASE_URL:-}" ]; then
  $PY -c "import time; from config.embedded import embedded_database_url; from pathlib import Path; print('Embedded PostgreSQL:', embedded_database_url(Path('var'))); time.sleep(10**9)" &
  pids+=($!)
  sleep 3
fi

$PY manage.py migrate --noinput
$PY manage.py load_scenario almendralejo
$PY manage.py collectstatic --noinput -v0

$CELERY -A config worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
pids+=($!)
$CELERY -A config beat --loglevel=INFO >var/log/beat.log 2>&1 &
pids+=($!)
$PY manage.py runserver "$HOST:$PORT" --noreload >var/log/web.log 2>&1 &
pids+=($!)

sleep 3
cat <<MSG

  Salvaguarda is running at  http://$HOST:$PORT/
  API docs:                  http://$HOST:$PORT/api/docs/
  Logs: var/log/{web,worker,beat}.log   Mail sent by the worker: var/mail/
  Demo logins are listed above (load_scenario). Ctrl-C stops everything.

MSG
wait -n "${pids[@]}"
