// Runs SQL with DuckDB (an implementation independent of the library under test) and prints the rows of the last
// statement's result as JSON lines, one object per row, its keys the result's column names.
//   node duck.mjs "SELECT ..."      the SQL as the argument
//   node duck.mjs < script.sql      or on stdin (several statements separated by ';')
// Values keep their types: integers are numbers when JavaScript holds them exactly, else strings (so a BIGINT never
// loses digits); DOUBLE and FLOAT are numbers (NaN and infinities as the strings "NaN", "Infinity", "-Infinity");
// DECIMAL, dates, times and timestamps are DuckDB's text; BOOLEAN true/false; NULL null; LIST and ARRAY arrays;
// STRUCT objects. Errors go to stderr with exit code 1.
import { readFileSync } from 'node:fs';
import { DuckDBInstance, DuckDBTypeId, JsonDuckDBValueConverter } from '@duckdb/node-api';

const wideIntegers = new Set([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT]);

function convert(value, type, converter) {
  if (value != null && wideIntegers.has(type.typeId)) {
    const big = BigInt(value);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
  }
  return JsonDuckDBValueConverter(value, type, converter);
}

const sql = process.argv.length > 2 ? process.argv.slice(2).join(' ') : readFileSync(0, 'utf8');
if (!sql.trim()) {
  console.error('duck.mjs: no SQL given (as the argument or on stdin)');
  process.exit(2);
}

try {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(sql);
  const lines = reader.convertRowObjects(convert).map(row => JSON.stringify(row));
  if (lines.length > 0) {
    process.stdout.write(lines.join('\n') + '\n');
  }
  connection.closeSync();
  instance.closeSync();
} catch (error) {
  console.error(`duck.mjs: ${error?.message ?? error}`);
  process.exitCode = 1;
}
