/**
 * The client side of Runway: the `runway` CLI (`cli.ts`, one module per command under `commands/`) and a small
 * library for scripts and CI — start a runbook, follow it, wait for its outcome and exit code, cancel it.
 */
export { ConnectionError, RunwayClient, type StartOptions } from './lib';
export { ExitCode, type Outcome } from './outcome';
export { follow } from './follow';
