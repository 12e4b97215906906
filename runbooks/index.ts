/**
 * The registry of runbooks: one line per runbook file, each exporting its workflow made with `defineRunbook` (its
 * input schema and a one-line description attached). This module is what the worker loads as its workflows
 * (`workflowsPath`); `registry/` derives the input schemas and the listings from it. Deterministic code only, like
 * `workflows/`; each area's shell scripts are built by the pure functions in its `scripts.ts`.
 */
export { exec } from './exec';
export { steps } from './steps';
export { deploy } from './deploy';
export { deployBlueGreen } from './deploy-blue-green';
export { deployRolling } from './deploy-rolling';
export { rollback } from './rollback';
export { backup } from './backup';
export { backupVerify } from './backup-verify';
export { drDrill } from './dr-drill';
export { backupStatus } from './backup-status';
export { certCheck } from './cert-check';
export { certRenew } from './cert-renew';
export { deliverNotifications } from '../workflows/deliver-notifications';
export { hostTasks } from '../workflows/host-tasks';
