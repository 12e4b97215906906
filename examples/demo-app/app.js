'use strict';
/**
 * Runway's demo app: the artifact the blue-green deploy examples and tests ship. Dependency-free CommonJS, so a release
 * dir holding this file and `VERSION` runs with a bare `node app.js`.
 *
 * - `VERSION` (trimmed) and the optional `runway.env` (KEY=VALUE lines) are read from this file's own directory, so
 *   each release dir is self-describing whatever the working directory of the command that starts it.
 * - Listens on `$ADDRESS` (default 127.0.0.1) : `$PORT`.
 * - `GET /health` answers `200 ok <version>`, or `500 unhealthy` while a file `FAIL_HEALTH` exists beside it or in
 *   `$HEALTH_SWITCH_DIR` (a host-wide switch, e.g. the service dir; checked on every request, so a test can break a
 *   running instance or one host); `GET /sha256/<NAME>` answers the sha256 of environment variable NAME (404 when
 *   unset) — how a test sees that a secret reached the process without the secret crossing the wire; any other path
 *   answers `version=<version>` with an `x-version` header.
 * - SIGTERM/SIGINT drain: stop accepting, finish in-flight requests, exit 0 — a drained instance never drops one.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS artifact, run by a bare `node` */
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
/* eslint-enable @typescript-eslint/no-require-imports */

const here = (name) => path.join(__dirname, name);
const readText = (name) => {
  try {
    return fs.readFileSync(here(name), 'utf8');
  } catch {
    return undefined;
  }
};

// The environment the start command set wins over runway.env, as with dotenv: an operator's override stays in force.
for (const line of (readText('runway.env') ?? '').split('\n')) {
  const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
  if (match && process.env[match[1]] === undefined) process.env[match[1]] = match[2].trim();
}

const version = (readText('VERSION') ?? 'unknown').trim();
const address = process.env.ADDRESS || '127.0.0.1';
const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`demo-app ${version}: set PORT to a TCP port (got ${JSON.stringify(process.env.PORT)})`);
  process.exit(2);
}

let draining = false;
const server = http.createServer((req, res) => {
  // While draining, a kept-alive client must open its next request elsewhere instead of racing our close.
  if (draining) res.setHeader('connection', 'close');
  if (req.url === '/health' || req.url.startsWith('/health?')) {
    const hostSwitch = process.env.HEALTH_SWITCH_DIR && path.join(process.env.HEALTH_SWITCH_DIR, 'FAIL_HEALTH');
    const failing =
      fs.existsSync(here('FAIL_HEALTH')) || (hostSwitch !== '' && !!hostSwitch && fs.existsSync(hostSwitch));
    res.writeHead(failing ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(failing ? 'unhealthy\n' : `ok ${version}\n`);
    return;
  }
  const hashed = /^\/sha256\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(req.url);
  if (hashed) {
    const value = process.env[hashed[1]];
    res.writeHead(value === undefined ? 404 : 200, { 'content-type': 'text/plain' });
    res.end(value === undefined ? 'unset\n' : `${crypto.createHash('sha256').update(value).digest('hex')}\n`);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'x-version': version });
  res.end(`version=${version}\n`);
});

function drain(signal) {
  if (draining) return;
  draining = true;
  console.log(`demo-app ${version}: ${signal}, draining`);
  // close() stops accepting and calls back once every in-flight request has been answered and its socket closed.
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  // A client that holds an idle keep-alive socket open forever must not keep a stopped instance alive.
  setTimeout(() => {
    server.closeAllConnections();
    process.exit(0);
  }, 10_000).unref();
}

process.on('SIGTERM', () => drain('SIGTERM'));
process.on('SIGINT', () => drain('SIGINT'));
server.on('error', (err) => {
  console.error(`demo-app ${version}: cannot listen on ${address}:${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, address, () => console.log(`demo-app ${version} listening on http://${address}:${port}/`));
