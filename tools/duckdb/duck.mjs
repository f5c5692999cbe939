// Runs SQL with DuckDB (an implementation independent of the library under test) and prints the rows of the last
// statement's result as JSON lines, one object per row, its keys the result's column names.
//   node duck.mjs "SELECT ..."      the SQL as the argument
//   node duck.mjs < script.sql      or on stdin (several statements separated by ';')
//   node duck.mjs --serve           one script after another, each ended by a NUL character on stdin, each answered
//                                   by its rows and then one line that starts with NUL: "\0ok" or "\0error <message>"
//                                   (the tests keep a few of these running: starting node and DuckDB costs more CPU
//                                   than most of their queries)
// Each script runs in a fresh in-memory database: state never carries from one to the next (refer to files).
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

async function run(sql) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.convertRowObjects(convert).map(row => JSON.stringify(row));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function serve() {
  // JSON.stringify escapes every control character, so no row line holds a NUL: a line that starts with one ends a reply.
  let pending = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) {
    pending += chunk;
    let end;
    while ((end = pending.indexOf('\0')) >= 0) {
      const sql = pending.slice(0, end);
      pending = pending.slice(end + 1);
      let reply;
      try {
        const lines = await run(sql);
        reply = (lines.length > 0 ? lines.join('\n') + '\n' : '') + '\0ok\n';
      } catch (error) {
        reply = `\0error ${String(error?.message ?? error).replaceAll('\n', ' ')}\n`;
      }
      if (!process.stdout.write(reply)) {
        await new Promise(resolve => process.stdout.once('drain', resolve));
      }
    }
  }
}

if (process.argv[2] === '--serve') {
  await serve();
} else {
  const sql = process.argv.length > 2 ? process.argv.slice(2).join(' ') : readFileSync(0, 'utf8');
  if (!sql.trim()) {
    console.error('duck.mjs: no SQL given (as the argument or on stdin)');
    process.exit(2);
  }

  try {
    const lines = await run(sql);
    if (lines.length > 0) {
      process.stdout.write(lines.join('\n') + '\n');
    }
  } catch (error) {
    console.error(`duck.mjs: ${error?.message ?? error}`);
    process.exitCode = 1;
  }
}
