/**
 * Child process of the benchmark: checks that two Parquet files hold the same rows with the same
 * column names and types (so the baseline did the same work as our path). Prints one JSON line.
 *
 *   node scripts/bench/compare-outputs.ts <ours.parquet> <baseline.parquet>
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { quoteString } from '../../core/query/sql.ts';

const [ours, baseline] = process.argv.slice(2).map(quoteString) as [string, string];
const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const connection = await instance.connect();
const value = async (sql: string) => (await connection.runAndReadAll(sql)).getRows()[0]?.[0];
const types = async (file: string) => (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${file}`)).getRows().map((r) => `${r[0]} ${r[1]}`).join(', ');
const sameTypes = (await types(ours)) === (await types(baseline));
const rows = Number(await value(`SELECT count(*) FROM ${ours}`));
const onlyOurs = Number(await value(`SELECT count(*) FROM (SELECT * FROM ${ours} EXCEPT ALL SELECT * FROM ${baseline})`));
const onlyBaseline = Number(await value(`SELECT count(*) FROM (SELECT * FROM ${baseline} EXCEPT ALL SELECT * FROM ${ours})`));
connection.closeSync();
instance.closeSync();
console.log(JSON.stringify({ rows, sameTypes, onlyOurs, onlyBaseline, identical: sameTypes && onlyOurs === 0 && onlyBaseline === 0 }));
