import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
