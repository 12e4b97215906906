/**
 * The worker process: loads config, builds the activities' dependencies (the ssh pool), registers Runway's search
 * attributes, and polls the task queue until a signal asks it to stop.
 */
export { createRunwayWorker, type WorkerOptions } from './worker';
export { ensureSearchAttributes } from './search-attributes';
export { bundleRunbooks, RUNBOOKS_PATH } from './bundle';
