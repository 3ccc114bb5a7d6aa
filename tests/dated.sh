#!/usr/bin/env bash
# The suite's answer must not depend on the day, hour or time zone it runs in: the
# date-sensitive tests again with the machine's clock (libfaketime) and zone set to
# moments that once broke them or could. SQLite only; `make test` covers PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v faketime >/dev/null 2>&1; then
  echo "faketime is not installed (Debian: apt-get install faketime); dated runs skipped" >&2
  exit 1
fi

FILES=(  # every file whose tests move the clock or read dates
  tests/test_schedule.py tests/test_summary.py tests/test_topics.py tests/test_events.py
  tests/test_inspections.py tests/test_outbox.py tests/test_hostile.py tests/test_calendar.py
)

run() {  # zone, moment (in that zone), log name: libfaketime's thread-safe build (-m;
  # the plain one deadlocks xdist's workers), its clock starting at the moment and running;
  # each run its own temporary folder (runs side by side sharing pytest's default one
  # race each other's clean-up: "Directory not empty" at the end of a passing run)
  TZ="$1" faketime -m -f "@$2" \
    .venv/bin/pytest -q -p no:cacheprovider -n 2 -k "not pg" --basetemp "$LOGS/tmp-$3" \
    "${FILES[@]}" \
    > "$LOGS/$3.log" 2>&1 && echo "passed: the machine's clock at $2 ($1)" \
    || { echo "FAILED: the machine's clock at $2 ($1)"; tail -60 "$LOGS/$3.log"; return 1; }
}

LOGS=$(mktemp -d)
run Asia/Shanghai "2026-12-31 23:30:00" year-end &     # the year's last half hour there
run Asia/Shanghai "2027-01-01 00:30:00" new-year &     # a year the holiday package lacks
run UTC "2028-02-29 12:00:00" leap-day &               # a leap day
run America/New_York "2027-03-14 01:30:00" dst &       # before New York's clocks go forward
failed=0
for job in $(jobs -p); do wait "$job" || failed=1; done
grep -h "passed\|failed" "$LOGS"/*.log | tail -4
exit $failed
