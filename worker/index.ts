/**
 * The worker process: installs the SDK runtime once (`runtime.ts`, where metrics plug in), loads config, builds the
 * activities' dependencies (the ssh pool), registers Runway's search attributes, and polls the task queue until a
 * signal asks it to stop (`run.ts`: `runway worker`, and the worker half of `runway dev` and the demo).
 */
export { createRunwayWorker, type WorkerOptions } from './worker';
export { runWorker } from './run';
export { installDevRuntime, installRuntime } from './runtime';
export { ensureSearchAttributes } from './search-attributes';
export { bundleRunbooks, RUNBOOKS_PATH } from './bundle';
