#!/usr/bin/env bash
# Fresh-machine check: requirements.txt ALONE installed into a new virtualenv (nothing from the
# project's .venv), the system started with `manage.py runsystem` in production mode on PostgreSQL
# and Redis, the way a deployment runs it: migrations as the tables' owner, web/worker/beat as the
# application role (`manage.py create_app_role`), behind a trusted proxy that says https.
# Fails unless, 30 s after the start, web, worker and beat are all still running, the task queue
# has recorded a sweep (`manage.py sweep_status`), and /login/ and the static files it links
# answer 200. On a busy machine the processes may need longer than 30 s to import and connect:
# the sweep and the page get until FRESH_DEADLINE seconds after the start, and the three
# processes must still be running at the end.
#
# Usage: .ci/fresh_start.sh            (needs PostgreSQL and Redis on 127.0.0.1, python3.11)
# Environment: FRESH_REQUIREMENTS (default requirements.txt), FRESH_DB (dispatch112_fresh),
# FRESH_REDIS_DB (14), FRESH_PORT (8199), FRESH_PG (postgres://postgres@127.0.0.1:5432),
# FRESH_REDIS (redis://127.0.0.1:6379), FRESH_WAIT (30 seconds), FRESH_DEADLINE (120 seconds),
# FRESH_VENV (reuse this virtualenv if it exists, for reruns while working on the script).
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=${FRESH_REQUIREMENTS:-requirements.txt}
db=${FRESH_DB:-dispatch112_fresh}
app_role=${db}_app
redis_db=${FRESH_REDIS_DB:-14}
port=${FRESH_PORT:-8199}
pg=${FRESH_PG:-postgres://postgres@127.0.0.1:5432}
redis=${FRESH_REDIS:-redis://127.0.0.1:6379}
wait_seconds=${FRESH_WAIT:-30}
deadline_seconds=${FRESH_DEADLINE:-120}
python=$(command -v python3.11 || command -v python3)

work=$(mktemp -d /tmp/dispatch112-fresh.XXXXXX)
system_pid=""
cleanup() {
  status=$?
  if [ -n "$system_pid" ] && kill -0 "$system_pid" 2>/dev/null; then
    kill -TERM "$system_pid" 2>/dev/null || true       # runsystem stops web, worker and beat
    for _ in $(seq 1 40); do kill -0 "$system_pid" 2>/dev/null || break; sleep 0.5; done
  fi
  if [ -n "$system_pid" ]; then
    kill -KILL -- "-$system_pid" 2>/dev/null || true   # anything left of its process group
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT INT TERM

fail() {
  echo "fresh start: FAILED: $*" >&2
  if [ -f "$work/system.log" ]; then
    echo "---- last lines of the system's output ----" >&2
    tail -n 40 "$work/system.log" >&2
  fi
  exit 1
}

venv=${FRESH_VENV:-$work/venv}
if [ ! -x "$venv/bin/python" ]; then
  echo "fresh start: installing $requirements alone into a new virtualenv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" 2> >(grep -v "^WARNING: Location" >&2) \
    || fail "pip install -r $requirements"
fi
py="$venv/bin/python"

db_host=${pg#*://}; db_host=${db_host#*@}
psql "$pg/postgres" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
psql "$pg/postgres" -q -c "CREATE DATABASE $db" >/dev/null
redis-cli -u "$redis/$redis_db" flushdb >/dev/null

export DEBUG=0
SECRET_KEY=$("$py" -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1,localhost
export TRUSTED_PROXIES=127.0.0.1
export REDIS_URL="$redis/$redis_db"
export CHANNEL_PREFIX="fresh$redis_db"
export CELERY_BEAT_SCHEDULE_FILE="$work/celerybeat-schedule"
export STATIC_ROOT="$work/static"
export SWEEP_FALLBACK_SECONDS=0        # a sweep must come through beat, Redis and the worker
unset DJANGO_ALLOW_ASYNC_UNSAFE SQLITE_PATH DB_SESSION_OPTIONS || true

echo "fresh start: migrate as the owner, then the application role $app_role"
DATABASE_URL="$pg/$db" "$py" manage.py migrate --noinput >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; fail "migrate"; }
DATABASE_URL="$pg/$db" "$py" manage.py load_bengkulu >>"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; fail "load_bengkulu"; }
DATABASE_URL="$pg/$db" "$py" manage.py create_app_role "$app_role" >>"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; fail "create_app_role"; }
DATABASE_URL="$pg/$db" "$py" manage.py check --deploy --fail-level WARNING >>"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; fail "check --deploy"; }

pg_app="${pg%%://*}://$app_role@$db_host"
export DATABASE_URL="$pg_app/$db"
echo "fresh start: manage.py runsystem on port $port (DEBUG=0, as $app_role); waiting ${wait_seconds} s"
setsid "$py" manage.py runsystem --host 127.0.0.1 --port "$port" >"$work/system.log" 2>&1 &
system_pid=$!
started=$SECONDS

missing_process() {
  local children
  children=$(ps -o args= --ppid "$system_pid" || true)
  grep -q "uvicorn dispatch.asgi:application" <<<"$children" || { echo "the web server"; return; }
  grep -q "celery -A dispatch worker" <<<"$children" || { echo "the Celery worker"; return; }
  grep -q "celery -A dispatch beat" <<<"$children" || { echo "Celery beat"; return; }
}
all_running() {
  kill -0 "$system_pid" 2>/dev/null || fail "runsystem exited"
  local missing
  missing=$(missing_process)
  [ -z "$missing" ] || fail "$missing is not running"
}

# runsystem collects the static files before it starts the three processes.
while [ -n "$(missing_process)" ]; do
  kill -0 "$system_pid" 2>/dev/null || fail "runsystem exited"
  [ $((SECONDS - started)) -lt "$deadline_seconds" ] || fail "$(missing_process) never started"
  sleep 1
done
started=$SECONDS
sleep "$wait_seconds"
all_running
until "$py" manage.py sweep_status --max-age "$deadline_seconds" >"$work/sweep.log" 2>&1; do
  all_running
  [ $((SECONDS - started)) -lt "$deadline_seconds" ] || { cat "$work/sweep.log"; fail "no sweep recorded through beat, Redis and the worker"; }
  sleep 2
done
cat "$work/sweep.log"

base="http://127.0.0.1:$port"
fetch() { curl -s -o "$2" -w "%{http_code}" -H "X-Forwarded-Proto: https" -H "X-Forwarded-For: 192.0.2.7" "$base$1"; }
until code=$(fetch /login/ "$work/login.html") && [ "$code" != 000 ]; do
  [ $((SECONDS - started)) -lt "$deadline_seconds" ] || fail "GET /login/: no answer"
  sleep 1
done
[ "$code" = 200 ] || fail "GET /login/ answered $code"
statics=$(grep -oE '/static/[^"]+\.(css|js)' "$work/login.html" | sort -u)
[ -n "$statics" ] || fail "/login/ links no static files"
for path in $statics; do
  code=$(fetch "$path" /dev/null) || fail "GET $path"
  [ "$code" = 200 ] || fail "GET $path answered $code"
done
all_running
echo "fresh start: OK: web, worker and beat running after $((SECONDS - started)) s, a sweep recorded," \
  "/login/ and its $(wc -w <<<"$statics") static files answer 200"
