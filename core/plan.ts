/**
 * The plain-JSON shapes that cross the workflow/activity boundary. Types only, derived from the zod schemas in
 * `config/` wherever config is their source: a config section reaches the runbooks as the schema parsed it.
 */
import type { ApprovalConfig, HostConfig, ServiceConfig, SlackConfig, SshConfig } from '../config/schema';
import type { SecretRef } from '../config/secret';
import type { BackupSetConfig, DrillConfig } from '../config/backups';
import type { AcmeConfig, CertificateConfig } from '../config/certificates';
import type { ServedCertificate } from './certs';

/** One host of the resolved plan, as an activity needs it to connect: its config with defaults filled in. No secret. */
export type HostRef = { name: string } & Required<
  Pick<HostConfig, 'address' | 'port' | 'user' | 'roles' | 'dir' | 'journalDir'>
>;

/** Timing the workflow takes from the `ssh` section (milliseconds), so tests can run with short durations. */
export type PlanTiming = Pick<SshConfig, 'heartbeatTimeout' | 'commandTimeout' | 'retry'>;

/** The artifact of one version, resolved by the plan activity: a worker file with its sha256, or a URL to fetch. */
export type ResolvedArtifact = { file: string; sha256: string } | { url: string; sha256Url: string; sha256?: string };

/** The service a deploy or rollback acts on: its config as parsed, and the artifact of the version asked for. */
export interface ServicePlan {
  name: string;
  config: ServiceConfig;
  artifact?: ResolvedArtifact;
}

/** A backup set as its runbooks need it: its config as parsed (secrets as references), the host and dir of copies. */
export interface BackupPlan {
  name: string;
  environment: string;
  config: BackupSetConfig;
  /** The host holding the data and the copies. */
  host: HostRef;
  /** Where the copies live on that host (absolute, or relative to the login home). */
  dir: string;
  copyTo?: { host: HostRef; dir: string };
}

/** A DR drill: its config, the set it restores, the DR host and a work dir there unique to the drill. */
export interface DrillPlan {
  name: string;
  config: DrillConfig;
  target: HostRef;
  /** Where the copy is brought (and, for files, restored) on the DR host. */
  dir: string;
}

/** A certificate entry as `certCheck` needs it: its config, and every endpoint resolved to an address. */
export interface CertificatePlan {
  name: string;
  environment: string;
  config: CertificateConfig;
  endpoints: Array<{ host: string; address: string; port: number; sni: string }>;
  /** A renewal's: the hosts the files are installed on (with their paths there), and those serving the webroot. */
  install?: Array<{ host: HostRef; files: CertFiles }>;
  webroot?: Array<{ host: HostRef; dir: string }>;
}

/** The live files of a certificate on one install host. */
export interface CertFiles {
  certificate: string;
  key: string;
  chain?: string;
}

/** A TLS handshake from the worker. */
export interface TlsProbeRequest {
  address: string;
  port: number;
  servername: string;
  timeoutMs?: number;
}

/** The certificate an endpoint served, or why none was. */
export interface TlsProbeResult {
  served?: ServedCertificate;
  error?: string;
}

/** What the ACME activities need of an entry's `acme` section: references and paths only, no secret. */
export type AcmeSettings = Pick<AcmeConfig, 'directory' | 'email' | 'accountKey' | 'caFile'>;

export interface AcmeRenewalInfoRequest {
  settings: AcmeSettings;
  certId: string;
}

/** The CA's renewal information (RFC 9773) for a certificate: offered or not, and its suggested window. */
export interface AcmeRenewalInfo {
  offered: boolean;
  /** False when the CA does not know the certificate (another CA issued it). */
  known?: boolean;
  window?: { start: string; end: string };
  explanation?: string;
}

export interface AcmeOrderRequest {
  settings: AcmeSettings;
  domains: string[];
  /** The ARI identifier of the certificate this order replaces. */
  replaces?: string;
}

/** An order placed: its URL, the account's, and the HTTP-01 challenges still to answer (public values). */
export interface AcmeOrder {
  url: string;
  account: string;
  status: string;
  challenges: Array<{ domain: string; token: string; keyAuthorization: string }>;
  /** The certificate named as replaced, when the CA took it. */
  replaces?: string;
}

export interface AcmeFinalizeRequest {
  settings: AcmeSettings;
  order: string;
  account: string;
  domains: string[];
  /** Where the new files are staged: `<path>.runway-new.<id>` beside each live file, on every install host. */
  stage: { id: string; targets: Array<{ host: HostRef; files: CertFiles }> };
}

/** The certificate obtained: as the wire will show it, its PEM (public), and the sha256 of each staged file. */
export interface IssuedCertificate extends ServedCertificate {
  pem: string;
  files: Record<string, string>;
}

/** Everything a run needs from config, resolved once by an activity and so recorded in the history. */
export interface Plan<I = Record<string, unknown>> {
  runbook: string;
  environment: string;
  /** The validated input, defaults applied. */
  input: I;
  hosts: HostRef[];
  concurrency: number;
  timing: PlanTiming;
  /** When a command's hosts run in child workflows (absent in plans recorded before there were any). */
  fanout?: { childAbove: number; hostsPerChild: number };
  /** Base URL of the Temporal Web UI, when known, for links in reports. */
  uiUrl?: string;
  namespace: string;
  service?: ServicePlan;
  /** The set a backup, verify or drill acts on. */
  backup?: BackupPlan;
  drill?: DrillPlan;
  /** Every set a status report reads. */
  backups?: BackupPlan[];
  /** A status report's scheduled drills: how far apart they run (ms). */
  drillIntervals?: Record<string, number>;
  /** The certificates a check handshakes with. */
  certificates?: CertificatePlan[];
  /** Present when the environment requires an approval before traffic moves. */
  approval?: Pick<ApprovalConfig, 'approvers' | 'timeout'>;
  /** Where the run is announced; the token stays on the worker. */
  notify?: { slack?: Pick<SlackConfig, 'channel' | 'deliveryWindow'> };
}

/** What the workflow asks for when a run starts. */
export interface PlanRequest {
  runbook: string;
  input: unknown;
}

/** One command on one host. */
export interface ExecRequest {
  host: HostRef;
  command: string;
  /** Kill the command if it runs longer than this (ms); defaults to the plan's command timeout. */
  timeoutMs?: number;
  /**
   * Environment variables the command gets from secret references, resolved by the activity on the worker and sent
   * over the ssh channel's stdin: the values never enter the history, a command line or a log, and are redacted from
   * the output tails.
   */
  secrets?: Record<string, SecretRef>;
}

/** The outcome of a command that ran (whatever its exit code). */
export interface ExecResult {
  host: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Total sizes; stdout/stderr above are at most the last 16 KB of each. */
  stdoutBytes: number;
  stderrBytes: number;
  durationMs: number;
  /** True when an earlier attempt had already started the command and this attempt only collected its result. */
  reattached: boolean;
}

/** An SFTP upload, verified by sha256 on the host. */
export interface UploadRequest {
  host: HostRef;
  localPath: string;
  remotePath: string;
  mode?: number;
  sha256?: string;
}

export interface UploadResult {
  host: string;
  remotePath: string;
  sha256: string;
  bytes: number;
  /** True when the host already had the file with this sha256. */
  unchanged: boolean;
}

/** A file copied from one host to another through the worker, verified by sha256 on the target. */
export interface TransferRequest {
  from: HostRef;
  fromPath: string;
  to: HostRef;
  toPath: string;
  /** The expected sha256; default: the source file's, read on the source host. */
  sha256?: string;
}

export interface TransferResult {
  bytes: number;
  /** True when the target already had the file with this sha256. */
  unchanged: boolean;
}

/** An HTTP check, retried until it passes or its deadline. */
export interface HttpProbeRequest {
  url: string;
  expectStatus?: number;
  /** The body must contain this text. */
  expectBody?: string;
  deadlineMs: number;
  intervalMs?: number;
  requestTimeoutMs?: number;
}

export interface HttpProbeResult {
  url: string;
  status: number;
  attempts: number;
  durationMs: number;
  bodyTail: string;
}
