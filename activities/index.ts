/**
 * Everything that touches the world, as Temporal activities: plan resolution from config, ssh exec (journalled, so
 * never twice) and SFTP upload over pooled ssh2 connections with verified host keys, HTTP probes, Slack messages
 * and the audit log.
 * `createActivities(deps)` builds them, so tests inject real or fake dependencies.
 */
import type { z } from 'zod';
import type { LoadedConfig } from '../config';
import { INPUT_SCHEMAS } from '../runbooks/registry';
import { createAudit } from './audit';
import { httpProbe } from './http-probe';
import { createResolvePlan } from './plan';
import { createSlack } from './slack';
import { createExec } from './ssh/exec';
import { SshPool } from './ssh/pool';
import { createUpload } from './ssh/upload';

export interface ActivityDeps {
  /** The current config; called at each run start, so edits to runway.yml apply to new runs. */
  config: () => LoadedConfig;
  pool: SshPool;
  /** Input schemas by runbook; defaults to every shipped runbook. */
  inputSchemas?: Record<string, z.ZodType>;
}

export function createActivities(deps: ActivityDeps) {
  return {
    resolvePlan: createResolvePlan({ config: deps.config, inputSchemas: deps.inputSchemas ?? INPUT_SCHEMAS }),
    sshExec: createExec({ pool: deps.pool, commandTimeoutMs: deps.config().config.ssh.commandTimeout }),
    sshUpload: createUpload(deps.pool),
    httpProbe,
    slackSend: createSlack(deps.config),
    audit: createAudit(deps.config),
  };
}

/** The activity functions, as workflows see them (import this type only). */
export type Activities = ReturnType<typeof createActivities>;

export { SshPool } from './ssh/pool';
