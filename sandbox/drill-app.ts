import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A stand-in for the app a DR drill starts against its restored database: a small HTTP server whose `/health` asks
 * PostgreSQL for a row count and answers `ok <count>` (503 when the database does not answer). Started and stopped
 * by the drill's `app.start` / `app.stop` templates on the DR host, as the login user.
 */
const APP = `'use strict';
const http = require('node:http');
const { execFile } = require('node:child_process');
const [port, database, address, table] = process.argv.slice(2);
http
  .createServer((req, res) => {
    execFile('psql', ['-X', '-At', '-d', database, '-c', 'select count(*) from ' + table], (err, stdout) => {
      res.statusCode = err ? 503 : 200;
      res.end(err ? 'database not ready\\n' : 'ok ' + stdout.trim() + '\\n');
    });
  })
  .listen(Number(port), address);
`;

export interface DrillApp {
  /** The `app.start` template: the server in the background, its pid in `{{dir}}/app.pid`. */
  start: string;
  /** The `app.stop` template; succeeds when nothing runs. */
  stop: string;
}

/**
 * Writes the app into `dir` (readable by the hosts' login user) and returns its templates. `pg` holds libpq's
 * variables (PGHOST, PGPORT) for the cluster; `table` is what its health check counts. `broken` gives an app that
 * starts but never answers healthy (its database name is wrong).
 */
export function writeDrillApp(dir: string, pg: Record<string, string>, table: string, broken = false): DrillApp {
  const file = join(dir, 'drill-app.cjs');
  writeFileSync(file, APP);
  chmodSync(file, 0o644);
  const env = Object.entries(pg)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const database = broken ? 'no_such_database' : '{{database}}';
  return {
    start:
      `mkdir -p {{dir}} && ${env} nohup node ${file} {{port}} ${database} {{address}} ${table} ` +
      `>/dev/null 2>&1 </dev/null & echo $! > {{dir}}/app.pid`,
    stop: `if [ -f {{dir}}/app.pid ]; then kill $(cat {{dir}}/app.pid) 2>/dev/null; rm -f {{dir}}/app.pid; fi; true`,
  };
}
