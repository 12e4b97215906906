/**
 * Every runbook, one per file; this module is what the worker loads as its workflows (`workflowsPath`).
 * Deterministic code only, like `workflows/`.
 */
export { exec } from './exec';
export { steps } from './steps';
export { deploy } from './deploy';
export { deployBlueGreen } from './deploy-blue-green';
export { deployRolling } from './deploy-rolling';
export { rollback } from './rollback';
export { deliverNotifications } from '../workflows/deliver-notifications';
