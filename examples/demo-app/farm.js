'use strict';
/**
 * The demo app for fleets too big to run one node process per host: one process answers, on every host's own address,
 * as that host's instance of the demo app would. A "light" demo service's start command writes the release's
 * `VERSION` to `<service dir>/running` and its stop command removes it; this process reads that file on every request,
 * so what it answers is what the hosts' own commands did.
 *
 * Usage: `node farm.js <hosts.json>`, where the file is `{ "port": 18301, "hosts": [{ "address", "dir" }] }` (`dir`:
 * the host's service dir). Answers like app.js: `GET /health` is `200 ok <version>` while running (`500 unhealthy`
 * while `<dir>/FAIL_HEALTH` exists, `503 stopped` while not running); any other path `version=<version>` with an
 * `x-version` header. Prints `listening <n>` once every address listens.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS artifact, run by a bare `node` */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
/* eslint-enable @typescript-eslint/no-require-imports */

const { port, hosts } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function answer(dir, req, res) {
  let version;
  try {
    version = fs.readFileSync(path.join(dir, 'running'), 'utf8').trim();
  } catch {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('stopped\n');
    return;
  }
  if (req.url === '/health' || req.url.startsWith('/health?')) {
    const failing = fs.existsSync(path.join(dir, 'FAIL_HEALTH'));
    res.writeHead(failing ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(failing ? 'unhealthy\n' : `ok ${version}\n`);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'x-version': version });
  res.end(`version=${version}\n`);
}

let listening = 0;
for (const { address, dir } of hosts) {
  const server = http.createServer((req, res) => answer(dir, req, res));
  server.on('error', (err) => {
    console.error(`demo-app farm: cannot listen on ${address}:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, address, () => {
    if (++listening === hosts.length) console.log(`listening ${listening}`);
  });
}
process.on('SIGTERM', () => process.exit(0));
