#!/usr/bin/env bash
# `make run`: processes samples/input-data.txt against the built-in demo model, which this script starts on
# free loopback ports and stops afterwards. When SELDON_BATCH_HOST is set it runs against that deployment
# instead. Every SELDON_BATCH_* variable works as it does for the CLI; arguments are passed to the CLI.
# SELDON_BATCH_INPUT is a short name for SELDON_BATCH_INPUT_DATA_PATH: `make run SELDON_BATCH_INPUT=samples/table.parquet`
# scores a table (CSV or Parquet, by its name) into a table of the same format next to the other outputs,
# out/table-scored.parquet, with the input's columns and the predictions.
set -euo pipefail
cd "$(dirname "$0")/.."

cli=(dotnet Seldon.Batch.Dataflow.Cli/bin/Release/net10.0/seldon-batch-processor.dll)
export SELDON_BATCH_INPUT_DATA_PATH="${SELDON_BATCH_INPUT:-${SELDON_BATCH_INPUT_DATA_PATH:-samples/input-data.txt}}"
input="$SELDON_BATCH_INPUT_DATA_PATH"
case "$input" in
  *.parquet|*.pq|*.csv|*.tsv|*.csv.gz|*.tsv.gz)
    # A table in, a table of the same format out: samples/table.parquet gives out/table-scored.parquet.
    name="$(basename "$input")"; ext="${name#*.}"; stem="${name%%.*}"
    export SELDON_BATCH_OUTPUT_DATA_PATH="${SELDON_BATCH_OUTPUT_DATA_PATH:-out/$stem-scored.$ext}"
    # The sample tables' numeric features are the model's inputs (the demo model doubles numbers and cannot take
    # text), unless columns are chosen already.
    if [[ "$input" == samples/table.* && -z "${SELDON_BATCH_COLUMNS:-}" && " $* " != *" --columns "* ]]; then
      set -- --columns tenure_months,monthly_spend,support_calls,discount_rate "$@"
    fi
    ;;
esac
export SELDON_BATCH_OUTPUT_DATA_PATH="${SELDON_BATCH_OUTPUT_DATA_PATH:-out/output-data.txt}"
mkdir -p "$(dirname "$SELDON_BATCH_OUTPUT_DATA_PATH")"

if [ -z "${SELDON_BATCH_HOST:-}" ]; then
  ready="$(mktemp -u /tmp/seldon-demo.XXXXXX)"
  "${cli[@]}" serve --port 0 --grpc-port 0 --deployment-name demo --ready-file "$ready" >/dev/null &
  server=$!
  trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$ready"' EXIT
  for _ in $(seq 1 600); do
    [ -s "$ready" ] && break
    kill -0 "$server" 2>/dev/null || { echo "make run: the built-in model server did not start" >&2; exit 1; }
    sleep 0.1
  done
  [ -s "$ready" ] || { echo "make run: the built-in model server did not start within 60 s" >&2; exit 1; }
  read -r rest grpc < "$ready"
  if [ "${SELDON_BATCH_TRANSPORT:-rest}" = "grpc" ]; then port="${grpc#grpc=}"; else port="${rest#rest=}"; fi
  echo "make run: built-in demo model on 127.0.0.1:$port (${SELDON_BATCH_TRANSPORT:-rest})"
  export SELDON_BATCH_HOST="127.0.0.1:$port"
  export SELDON_BATCH_GATEWAY_TYPE="${SELDON_BATCH_GATEWAY_TYPE:-istio}"
  export SELDON_BATCH_DEPLOYMENT_NAME="${SELDON_BATCH_DEPLOYMENT_NAME:-demo}"
  export SELDON_BATCH_WORKERS="${SELDON_BATCH_WORKERS:-8}"
fi

"${cli[@]}" --benchmark "$@"
