/**
 * The client side of Runway: the `runway` CLI (`cli.ts`, one module per command under `commands/`, errors mapped to
 * exit codes in one place) and a small library for scripts and CI — start a runbook, follow it, wait for its outcome
 * and exit code, decide a gate, cancel it. A thin client: it needs only where Temporal is (`temporal:` in runway.yml,
 * or `TEMPORAL_ADDRESS`); the worker resolves hosts, services and artifacts from its own config. With
 * `temporal.encryption` it seals what it sends and opens what it reads; `codec-server.ts` serves that codec to the
 * Web UI and the Temporal CLI (`runway codec-server`), for holders of its token only.
 */
export { RunwayClient, type StartOptions } from './lib';
export { ConnectionError, LockedError, RefusedError } from './errors';
export { ExitCode, type Outcome } from './outcome';
export { follow } from './follow';
export { startCodecServer, type CodecServerOptions, type RunningCodecServer } from './codec-server';
