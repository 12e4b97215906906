import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

/**
 * The custom search attributes that make runs findable in the Temporal UI and CLI
 * (`temporal workflow list --query 'RunwayService="api" AND RunwayStatus="failed"'`).
 * The dev server registers them at start; `runway worker` registers them on an external cluster.
 */
export const RUNBOOK = defineSearchAttributeKey('RunwayRunbook', SearchAttributeType.KEYWORD);
export const ENVIRONMENT = defineSearchAttributeKey('RunwayEnvironment', SearchAttributeType.KEYWORD);
export const SERVICE = defineSearchAttributeKey('RunwayService', SearchAttributeType.KEYWORD);
export const VERSION = defineSearchAttributeKey('RunwayVersion', SearchAttributeType.KEYWORD);
export const STATUS = defineSearchAttributeKey('RunwayStatus', SearchAttributeType.KEYWORD);

/** Every key, for registration. */
export const SEARCH_ATTRIBUTES = [RUNBOOK, ENVIRONMENT, SERVICE, VERSION, STATUS] as const;

/** What a run is known by in the search attributes. */
export interface RunAttributes {
  runbook: string;
  status: string;
  environment?: string;
  service?: string;
  version?: string;
}

/**
 * The search attribute pairs of a run — set by the client when it starts one and kept up to date by the run itself.
 * Empty values are left out (a run started from the Temporal CLI may not know its environment yet).
 */
export function runAttributes(run: RunAttributes): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: RUNBOOK, value: run.runbook },
    { key: STATUS, value: run.status },
  ];
  if (run.environment) pairs.push({ key: ENVIRONMENT, value: run.environment });
  if (run.service) pairs.push({ key: SERVICE, value: run.service });
  if (run.version) pairs.push({ key: VERSION, value: run.version });
  return pairs;
}
