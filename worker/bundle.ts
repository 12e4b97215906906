import { join } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** The module the worker loads as its workflows: every runbook. */
export const RUNBOOKS_PATH = join(__dirname, '..', 'runbooks', 'index.ts');

/** Bundles the runbooks once (webpack), e.g. to share one bundle among several workers in tests. */
export function bundleRunbooks(workflowsPath = RUNBOOKS_PATH): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietLogger });
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
