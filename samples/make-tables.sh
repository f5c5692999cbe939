#!/usr/bin/env bash
# Writes samples/table.parquet and samples/table.csv with DuckDB from samples/tables.sql (deploy/duckdb.sh installs
# DuckDB for node first, as `make test` does). The files are committed; run this after changing tables.sql.
set -euo pipefail
cd "$(dirname "$0")/.."
duck="$(bash deploy/duckdb.sh)"
node "$duck" < samples/tables.sql
