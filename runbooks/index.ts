/**
 * Every runbook, one per file; this module is what the worker loads as its workflows (`workflowsPath`).
 * Deterministic code only, like `workflows/`.
 */
export { exec } from './exec';
export { steps } from './steps';
