import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { SFTPWrapper } from 'ssh2';
import type { HostRef, UploadRequest, UploadResult } from '../../core/plan';
import { PermanentSshError, type SshPool } from './pool';
import { moveIntoPlaceScript, removeScript, sha256Script } from './scripts';

/** sha256 of a local file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Uploads a file over SFTP to a temporary name beside its target, checks its sha256 on the host, then renames it into
 * place — so the target is either the old file or the whole new one. A host that already has the same bytes is left
 * alone, which also makes a retry after a crash cheap and safe.
 */
export function createUpload(pool: SshPool) {
  return async function sshUpload(request: UploadRequest): Promise<UploadResult> {
    const { host, localPath, remotePath } = request;
    const ctx = Context.current();
    const size = await stat(localPath).then(
      (s) => s.size,
      () => {
        throw ApplicationFailure.nonRetryable(
          `upload to ${host.name}: ${localPath} does not exist on the worker`,
          'InvalidInput',
        );
      },
    );
    const sha256 = await sha256File(localPath);
    if (request.sha256 && request.sha256 !== sha256) {
      throw ApplicationFailure.nonRetryable(
        `upload to ${host.name}: ${localPath} has sha256 ${sha256}, expected ${request.sha256}`,
        'ChecksumMismatch',
      );
    }
    const result = { host: host.name, remotePath, sha256, bytes: size };
    try {
      if ((await remoteSha256(pool, host, remotePath)) === sha256) return { ...result, unchanged: true };
      const temp = `${remotePath}.runway-${ctx.info.activityId}.tmp`;
      await pool.sftp(host, (sftp) => put(sftp, localPath, temp, () => ctx.heartbeat()));
      const landed = await remoteSha256(pool, host, temp);
      if (landed !== sha256) {
        await pool.exec(host, removeScript(temp));
        throw new Error(
          `upload to ${host.name}: ${temp} has sha256 ${landed ?? '(unreadable)'} after transfer, expected ${sha256}`,
        );
      }
      const moved = await pool.exec(host, moveIntoPlaceScript(temp, remotePath, request.mode));
      if (moved.code !== 0)
        throw new Error(`upload to ${host.name}: cannot move into ${remotePath}: ${moved.stderr.toString().trim()}`);
      return { ...result, unchanged: false };
    } catch (err) {
      if (err instanceof PermanentSshError) throw ApplicationFailure.nonRetryable(err.message, err.type);
      throw err;
    }
  };
}

/** The sha256 of a file on a host, or undefined when it cannot be read. */
export async function remoteSha256(pool: SshPool, host: HostRef, path: string): Promise<string | undefined> {
  const answer = await pool.exec(host, sha256Script(path));
  const hex = answer.stdout.toString().split(' ')[0];
  return answer.code === 0 && /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

function put(sftp: SFTPWrapper, local: string, remote: string, step: () => void): Promise<void> {
  return new Promise((resolve, reject) =>
    sftp.fastPut(local, remote, { step }, (err) => (err ? reject(err) : resolve())),
  );
}
