/**
 * The real local world the demo, the tests and the benchmarks run against: sshd hosts on loopback addresses of their
 * own (`hosts.ts`; addresses reserved machine-wide by `addresses.ts`; their login user and keys in `accounts.ts`),
 * nginx as a load balancer (`nginx.ts`), the demo app's release tarballs and `services:` entry (`artifacts.ts`,
 * `demo-service.ts`), a runway.yml for the hosts (`config.ts`), and all of it together as one world of web hosts behind
 * nginx (`world.ts`); a PostgreSQL cluster of its own (`postgres.ts`) and the app a DR drill starts against its
 * restored copy (`drill-app.ts`); pebble, the ACME server, with its DNS companion (`pebble.ts`). Beside them: live HTTP load (`load.ts`), process helpers (`process.ts`), the Temporal dev servers
 * (`dev-server.ts`, `test-server.ts`), the bootstrap that installs what is missing (`bootstrap.ts`), and `npm run demo`
 * itself (`demo.ts`). Nothing here is needed by a worker or a client in production.
 */
export { reserveAddresses, type AddressReservation, type ReserveOptions } from './addresses';
export { SANDBOX_USER, startSandbox, type Sandbox, type SandboxHost, type SandboxOptions } from './hosts';
export { startNginx, upstreamConf, type NginxOptions, type SandboxNginx } from './nginx';
export { buildDemoArtifact, type DemoArtifact, type DemoArtifactOptions } from './artifacts';
export { demoServiceYaml, type DemoServiceOptions } from './demo-service';
export { sandboxConfigYaml, type SandboxConfigOptions } from './config';
export { startSandboxWorld, type SandboxWorld, type SandboxWorldOptions } from './world';
export { startLoad, type LoadOptions, type LoadReport } from './load';
export { startPostgres, postgresClient, findPostgresBin, type SandboxPostgres } from './postgres';
export { writeDrillApp, type DrillApp } from './drill-app';
export { startPebble, type SandboxPebble, type PebbleOptions } from './pebble';
export { startDevServer, startEmbedded, type DevServer } from './dev-server';
