import { execFile } from 'node:child_process';
import type { HostAccess } from '../../activities';
import type { ExecRequest, ExecResult, HostRef, UploadRequest, UploadResult } from '../../core/plan';

/** What a modelled host answers to one command. */
export interface Answer {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

/** One command a modelled host received, numbered in the order the hosts received them. */
export interface Received {
  seq: number;
  host: string;
  command: string;
}

/** A fleet model for orchestration tests: `answer` says what each command returns; every command is logged. */
export interface FakeHosts extends HostAccess {
  log: Received[];
  uploads: UploadRequest[];
}

/**
 * The host side of the activities, modelled in memory: `createActivities({ hosts: fakeHosts(answer) })` runs the real
 * workflows and activities against it, so orchestration over hundreds of hosts takes seconds. It never stands in for
 * the integration tests on real sshd hosts.
 */
export function fakeHosts(answer: (host: HostRef, command: string) => Answer | Promise<Answer>): FakeHosts {
  const log: Received[] = [];
  const uploads: UploadRequest[] = [];
  return {
    log,
    uploads,
    async exec({ host, command }: ExecRequest): Promise<ExecResult> {
      log.push({ seq: log.length, host: host.name, command });
      const started = Date.now();
      const { exitCode = 0, stdout = '', stderr = '' } = await answer(host, command);
      return {
        host: host.name,
        exitCode,
        stdout,
        stderr,
        stdoutBytes: Buffer.byteLength(stdout),
        stderrBytes: Buffer.byteLength(stderr),
        durationMs: Date.now() - started,
        reattached: false,
      };
    },
    async upload(request: UploadRequest): Promise<UploadResult> {
      uploads.push(request);
      const { host, remotePath, sha256 = '' } = request;
      return { host: host.name, remotePath, sha256, bytes: 0, unchanged: false };
    },
  };
}

/** Runs a command with the local `/bin/sh`, for the one modelled host whose files a test inspects byte for byte. */
export function shell(command: string): Promise<Answer> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ exitCode: err ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr });
    });
  });
}

/** A `fetch` for health probes against the model: `healthy(url)` says whether the instance behind it answers. */
export function fakeFetch(body: (url: string) => { status: number; text: string }): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const { status, text } = body(url);
    return new Response(text, { status });
  }) as typeof fetch;
}
