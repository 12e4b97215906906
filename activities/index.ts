/**
 * Everything that touches the world, as Temporal activities: plan resolution from config, ssh exec (journalled, so
 * never twice) and SFTP upload over pooled ssh2 connections with verified host keys, HTTP probes, Slack messages
 * and the audit log.
 *
 * `createActivities(deps)` builds them. Production passes `sshHosts(pool, …)` and the global `fetch`; an orchestration
 * test passes a model of its hosts instead (test/support/fake-hosts.ts), so a deploy over hundreds of hosts runs in
 * seconds through the same activities — beside the real integration tests, never instead of them.
 */
import type { z } from 'zod';
import type { LoadedConfig } from '../config';
import type {
  ExecRequest,
  ExecResult,
  TransferRequest,
  TransferResult,
  UploadRequest,
  UploadResult,
} from '../core/plan';
import { INPUT_SCHEMAS } from '../runbooks/registry';
import { createAudit } from './audit';
import { createHttpProbe } from './http-probe';
import { tlsProbe } from './tls-probe';
import { createResolvePlan } from './plan';
import { createSlack } from './slack';
import { createExec } from './ssh/exec';
import type { SshPool } from './ssh/pool';
import { createUpload } from './ssh/upload';
import { createTransfer } from './ssh/transfer';
import { createDrillLog } from './drill-log';
import { createAcme } from './acme';
import { createFiles, type HostFiles } from './ssh/files';

/** How commands and files reach hosts. */
export interface HostAccess {
  /** Runs one command on one host, at most once (a retry re-attaches), and returns its exit code and output tails. */
  exec(request: ExecRequest): Promise<ExecResult>;
  /** Puts a worker file on a host, verified by sha256 there. */
  upload(request: UploadRequest): Promise<UploadResult>;
  /** Copies a file between hosts through the worker, verified by sha256 on the target. */
  transfer?(request: TransferRequest): Promise<TransferResult>;
  /** Small files read and written whole (a certificate's staged key and files). */
  files?: HostFiles;
}

export interface ActivityDeps {
  /** The current config; called at each run start, so edits to runway.yml apply to new runs. */
  config: () => LoadedConfig;
  /** Journalled ssh ({@link sshHosts}) in production; a model of the hosts in orchestration tests. */
  hosts: HostAccess;
  /** The HTTP client of health probes; default: the global fetch. */
  fetch?: typeof fetch;
  /** Input schemas by runbook; defaults to every registered runbook. */
  inputSchemas?: Record<string, z.ZodType>;
}

/** The real hosts: commands through the journal wrapper and uploads over SFTP, on pooled ssh connections. */
export function sshHosts(pool: SshPool, commandTimeoutMs: number): HostAccess {
  return {
    exec: createExec({ pool, commandTimeoutMs }),
    upload: createUpload(pool),
    transfer: createTransfer(pool),
    files: createFiles(pool),
  };
}

export function createActivities(deps: ActivityDeps) {
  return {
    resolvePlan: createResolvePlan({ config: deps.config, inputSchemas: deps.inputSchemas ?? INPUT_SCHEMAS }),
    sshExec: (request: ExecRequest): Promise<ExecResult> => deps.hosts.exec(request),
    sshUpload: (request: UploadRequest): Promise<UploadResult> => deps.hosts.upload(request),
    sshTransfer: (request: TransferRequest): Promise<TransferResult> => {
      if (!deps.hosts.transfer) throw new Error('these hosts cannot copy files between them');
      return deps.hosts.transfer(request);
    },
    ...createDrillLog(deps.config),
    httpProbe: createHttpProbe(deps.fetch ?? fetch),
    tlsProbe,
    ...createAcme(deps.hosts.files),
    slackSend: createSlack(deps.config),
    audit: createAudit(deps.config),
  };
}

/** The activity functions, as workflows see them (import this type only). */
export type Activities = ReturnType<typeof createActivities>;

export { SshPool } from './ssh/pool';
