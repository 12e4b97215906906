import { defineQuery } from '@temporalio/workflow';
import { PROGRESS_QUERY } from '../core/names';
import type { RunProgress } from '../core/progress';

export * from '../core/progress';

/** Live progress of a run: status, steps with their hosts, timings and output tails. */
export const progressQuery = defineQuery<RunProgress>(PROGRESS_QUERY);
