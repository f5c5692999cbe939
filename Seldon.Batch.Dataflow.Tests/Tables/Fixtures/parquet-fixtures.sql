-- The Parquet files the tests read (Tables/Parquet*Tests.cs), written by DuckDB: an implementation independent of the
-- library under test. Run from this folder with any DuckDB client; with the repository's harness (tools/duckdb, npm):
--   cd Seldon.Batch.Dataflow.Tests/Tables/Fixtures && node ../../../tools/duckdb/duck.mjs < parquet-fixtures.sql
-- The expected values in the tests are the ones written here.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE types AS SELECT * FROM (VALUES
  (0, 1::TINYINT, 300::SMALLINT, 7::INTEGER, 9007199254740993::BIGINT, 200::UTINYINT, 4000000000::UINTEGER, 18446744073709551615::UBIGINT,
   1.5::FLOAT, 0.1::DOUBLE, 12.34::DECIMAL(9,2), 123456.7891::DECIMAL(18,4), 1234567890123456789.0123456789::DECIMAL(38,10),
   TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05.5+00', TIMESTAMP_MS '2024-01-02 03:04:05.123', TIMESTAMP_NS '2024-01-02 03:04:05.123456789',
   DATE '2024-01-02', TIME '12:34:56.789', true, 'text', 'ab'::BLOB, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID,
   [1, 2, 3]::INTEGER[], ['a', 'b']::VARCHAR[], [0.5, NULL]::DOUBLE[], [DATE '2024-01-02']::DATE[],
   {'a': 1, 'b': 'x'}, MAP {'k': 1}, '{"j": 1}'::JSON, 'happy'::mood),
  (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (2, -128, -32768, -2147483648, -9223372036854775808, 0, 0, 0,
   'NaN'::FLOAT, '-Infinity'::DOUBLE, -0.01, -99999999999999.9999, 0.0000000001,
   TIMESTAMP '1969-12-31 23:59:59.999999', TIMESTAMPTZ '1970-01-01 00:00:00+00', TIMESTAMP_MS '1900-01-01 00:00:00', TIMESTAMP_NS '1969-12-31 23:59:59.999999999',
   DATE '0001-01-01', TIME '00:00:00', false, '', ''::BLOB, '00000000-0000-0000-0000-000000000000'::UUID,
   []::INTEGER[], [NULL, 'c']::VARCHAR[], []::DOUBLE[], [NULL]::DATE[],
   {'a': NULL, 'b': NULL}, MAP {}::MAP(VARCHAR, INTEGER), 'null'::JSON, 'sad'::mood),
  (3, 127, 32767, 2147483647, 9223372036854775807, 255, 4294967295, 0,
   3.4028235e38::FLOAT, 1e300::DOUBLE, 9999999.99, 0, -1,
   TIMESTAMP '9999-12-31 23:59:59', TIMESTAMPTZ '2262-04-11 23:47:16+00', TIMESTAMP_MS '2000-02-29 12:00:00', TIMESTAMP_NS '2200-01-01 00:00:00.000000001',
   DATE '9999-12-31', TIME '23:59:59.999999', NULL, 'é"quoted",
new line', '\xFF\x00'::BLOB, NULL,
   [NULL, 5]::INTEGER[], NULL, [1e-300]::DOUBLE[], NULL,
   {'a': 2, 'b': 'é'}, NULL, NULL, NULL)
) t(id, i8, i16, i32, i64, u8, u32, u64, f32, f64, dec9, dec18, dec38, ts, tstz, ts_ms, ts_ns, d, t, b, s, bin, uuid,
    int_list, str_list, dbl_list, date_list, st, mp, js, en);
-- DuckDB's default: data pages v1, snappy, dictionaries.
COPY types TO 'duckdb-types-v1-snappy.parquet' (FORMAT parquet);
-- Parquet v2 data pages with zstd: DELTA_BINARY_PACKED integers, dates, timestamps and decimals, DELTA_* strings.
COPY types TO 'duckdb-types-v2-zstd.parquet' (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2);
-- Several row groups of 2,048 rows (the last 904): 5,000 rows of id (the row number), x = id / 4,
-- s = 'row <id>' (null every 7th row), flag = id is even, k = 'key <id % 5>' (dictionary-encoded in v1),
-- at = 2024-01-01 00:00:00 plus id seconds.
CREATE TABLE grouped AS SELECT i::BIGINT AS id, i / 4 AS x, CASE WHEN i % 7 = 0 THEN NULL ELSE 'row ' || i END AS s, i % 2 = 0 AS flag,
  'key ' || (i % 5) AS k, TIMESTAMP '2024-01-01 00:00:00' + to_seconds(i) AS at
  FROM range(5000) r(i);
COPY grouped TO 'duckdb-row-groups-v1.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048);
COPY grouped TO 'duckdb-row-groups-v2.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048, COMPRESSION zstd, PARQUET_VERSION v2);
SELECT file_name, row_group_id, row_group_num_rows, path_in_schema, type, encodings, compression
  FROM parquet_metadata('duckdb-*.parquet') WHERE path_in_schema IN ('id', 'ts', 'dec9', 'd', 'i8', 's', 'k', 'at') AND row_group_id < 2 ORDER BY ALL;
