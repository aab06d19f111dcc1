#!/bin/bash
# The seed's update-state.sh (shared/seed/nats-kv-operations-standardization.md) with its three nats calls replaced
# by a file read and a file write, so the benchmark measures what the script itself costs: jq validate, jq filter,
# jq validate, size and preview logging. Usage: seed-update-without-nats.sh STATE_FILE JQ_FILTER
STATE_FILE="$1"
JQ_FILTER="$2"
STATE=$(cat "$STATE_FILE")
REVISION=1
echo "$STATE" | jq empty 2>&1 >/dev/null || { echo "ERROR: Current state has invalid JSON" >&2; exit 1; }
JQ_ERROR=$(mktemp)
MODIFIED_STATE=$(echo "$STATE" | jq "$JQ_FILTER" 2>"$JQ_ERROR")
JQ_EXIT=$?
if [ $JQ_EXIT -ne 0 ]; then echo "ERROR: Failed to modify JSON with jq" >&2; rm -f "$JQ_ERROR"; exit 1; fi
rm -f "$JQ_ERROR"
echo "$MODIFIED_STATE" | jq empty 2>&1 >/dev/null || { echo "ERROR: Modified state resulted in invalid JSON" >&2; exit 1; }
echo "INFO: Writing JSON to $STATE_FILE at revision $REVISION" >&2
echo "INFO: JSON size: $(echo "$MODIFIED_STATE" | wc -c) bytes" >&2
if [ $(echo "$MODIFIED_STATE" | wc -c) -lt 5000 ]; then
  echo "$MODIFIED_STATE" | jq . >&2
else
  echo "INFO: JSON preview (first 1000 chars):" >&2
  echo "${MODIFIED_STATE:0:1000}" >&2
fi
echo "$MODIFIED_STATE" > "$STATE_FILE"
echo "SUCCESS: Updated state" >&2
echo "OK"
