import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleOption, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ENCODED_FAILURES_MARKER } from '../config/encoded-failures';
import { ENCODED_FAILURES_PATH } from '../config/encryption';

/** The module the worker loads as its workflows: every runbook. */
export const RUNBOOKS_PATH = join(__dirname, '..', 'runbooks', 'index.ts');

/**
 * Bundles the runbooks once (webpack), e.g. to share one bundle among several workers in tests. A bundle for a worker
 * with `temporal.encryption` takes `encodeFailures`: the workflows' failure messages are then encrypted too.
 */
export function bundleRunbooks(
  workflowsPath = RUNBOOKS_PATH,
  options: { encodeFailures?: boolean } = {},
): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    logger: quietLogger,
    ...(options.encodeFailures && { failureConverterPath: ENCODED_FAILURES_PATH }),
  });
}

/** Whether a prebuilt bundle was built with `encodeFailures` (a worker with encryption runs no other). */
export function encodesFailures(bundle: WorkflowBundleOption): boolean {
  const code = 'code' in bundle ? bundle.code : readFileSync(bundle.codePath, 'utf8');
  return code.includes(ENCODED_FAILURES_MARKER);
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
