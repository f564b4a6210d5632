#!/usr/bin/env bash
# `make run`: migrate, load the demo scenario, start web + Celery worker + beat.
# With DATABASE_URL unset the embedded PostgreSQL under var/pg is used; with
# CELERY_BROKER_URL unset, kombu's filesystem transport under var/broker.
# Like foreman: Ctrl-C stops everything, and if one process dies the others are stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
CELERY=.venv/bin/celery
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
VAR="${SALVAGUARDA_VAR_DIR:-var}"
mkdir -p "$VAR/log" "$VAR/run"
export SITE_URL="${SITE_URL:-http://$HOST:$PORT}"

if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
  echo "Port $PORT on $HOST is in use: stop what holds it, or run PORT=8001 make run." >&2
  exit 1
fi

declare -A names=()
pids=()
start() {  # start NAME COMMAND...: run in the background, remember its pid
  local name=$1; shift
  "$@" &
  pids+=($!)
  names[$!]=$name
}
cleanup() {
  trap - INT TERM EXIT
  echo; echo "Stopping…"
  # Worker, beat and web first, the database last.
  for (( i=${#pids[@]}-1; i>=0; i-- )); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "Stopped."
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ]; then
  # One process holds the embedded server; the others get its URL, so the server
  # stops cleanly when that process does.
  url_file="$VAR/run/database.url"
  rm -f "$url_file"
  start database $PY scripts/embedded_db.py "$VAR" "$url_file"
  for _ in $(seq 120); do [ -s "$url_file" ] && break; sleep 0.5; done
  [ -s "$url_file" ] || { echo "The embedded PostgreSQL did not start." >&2; exit 1; }
  DATABASE_URL="$(cat "$url_file")"
  export DATABASE_URL
fi

$PY manage.py migrate --noinput
$PY manage.py load_scenario almendralejo
$PY manage.py collectstatic --noinput -v0

# Appended, not overwritten: the log of a process that died is still there after the
# next `make run`.
for log in worker beat web; do echo "=== make run $(date -u +%FT%TZ) ===" >>"$VAR/log/$log.log"; done
# Threads, not prefork: the outbox relay waits on mail servers and webhooks (I/O), and a
# prefork pool whose child is SIGKILLed can wedge (celery/celery#2011): a live worker
# that delivers nothing, which nothing here would notice. A thread pool dies whole, and
# this script then stops everything and says so (docs/faults.md).
start worker $CELERY -A config worker --loglevel=INFO --pool=threads --concurrency=4 >>"$VAR/log/worker.log" 2>&1
start beat $CELERY -A config beat --loglevel=INFO >>"$VAR/log/beat.log" 2>&1
start web $PY manage.py runserver "$HOST:$PORT" --noreload >>"$VAR/log/web.log" 2>&1

for _ in $(seq 60); do (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null && break; sleep 0.5; done
cat <<MSG

  Salvaguarda is running at  http://$HOST:$PORT/
  API docs:                  http://$HOST:$PORT/api/docs/
  Demo logins: the table above (load_scenario): one demo password, and for leads,
  heads and liaisons a TOTP secret and a backup code (demo only); the current code
  of any demo account: make code U=lead.norte
  Logs: $VAR/log/{web,worker,beat}.log   Mail sent by the worker: $VAR/mail/
  Ctrl-C stops everything.

MSG
# Ctrl-C reaches every process of the group at once, and one of them may end before
# this shell runs its trap: remember the interrupt instead of racing it.
interrupted=0
trap 'interrupted=1' INT TERM
set +e
wait -n -p ended "${pids[@]}"
status=$?
sleep 0.3  # let a signal that arrived with the exit be handled first
if (( interrupted )); then
  exit 130  # the EXIT trap stops the others
fi
echo "The ${names[$ended]:-?} process exited with status $status (see $VAR/log/);" \
  "stopping the others." >&2
exit 1
