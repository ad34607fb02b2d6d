#!/usr/bin/env bash
# Default writer for .ci/patroni/run.sh: one INSERT per psql invocation through the
# libpq multi-host URL, ~every 20 ms, until $STOP_FILE exists.
#
# Writer contract (any replacement, e.g. orgreg processes, must follow it):
#   env PG_URL      multi-host libpq URL (target_session_attrs=read-write)
#   env ACKED_FILE  append "ID ACK_EPOCH SENT_EPOCH" (one line per write) ONLY after
#                   the write was acknowledged as committed (ACK: time of the ack,
#                   SENT: when the write was started; SENT may be left out)
#   env FAILED_FILE append "ID SENT_EPOCH" per write that failed (optional: it marks
#                   the start of the outage)
#   env STOP_FILE   exit (soon) once this file exists
#   env WRITER_TAG  unique per writer start; make IDs unique across starts with it
#   env WRITER_LOG  free-form log (errors, retries)
# Every ID in ACKED_FILE must later be returned by $VERIFY_SQL on the new primary.
set -u
i=0
while [ ! -e "$STOP_FILE" ]; do
  i=$((i + 1))
  id="${WRITER_TAG}-${i}"
  sent=$EPOCHREALTIME
  if psql "$PG_URL" -qAtX -v ON_ERROR_STOP=1 \
      -c "INSERT INTO writes (id) VALUES ('$id')" >/dev/null 2>>"$WRITER_LOG"; then
    echo "$id $EPOCHREALTIME $sent" >>"$ACKED_FILE"
  else
    echo "$EPOCHREALTIME failed $id" >>"$WRITER_LOG"
    [ -n "${FAILED_FILE:-}" ] && echo "$id $sent" >>"$FAILED_FILE"
  fi
  sleep 0.02
done
