import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { TransferRequest, TransferResult } from '../../core/plan';
import { PermanentSshError, type SshPool } from './pool';
import { moveIntoPlaceScript, removeScript } from './scripts';
import { remoteSha256 } from './upload';

/**
 * Copies a file from one host to another through the worker (the hosts need no ssh trust between them): streamed
 * from the source's SFTP to a temporary name on the target, checked there by sha256, then renamed into place. A
 * target that already holds the same bytes is left alone, so a retry after a crash is cheap and safe.
 */
export function createTransfer(pool: SshPool) {
  return async function sshTransfer(request: TransferRequest): Promise<TransferResult> {
    const { from, fromPath, to, toPath } = request;
    const ctx = Context.current();
    const where = `copy ${from.name}:${fromPath} to ${to.name}:${toPath}`;
    try {
      const sha256 = request.sha256 ?? (await remoteSha256(pool, from, fromPath));
      if (!sha256)
        throw ApplicationFailure.nonRetryable(`${where}: cannot read ${fromPath} on ${from.name}`, 'InvalidInput');
      if ((await remoteSha256(pool, to, toPath)) === sha256) return { bytes: 0, unchanged: true };
      const temp = `${toPath}.runway-${ctx.info.activityId}.tmp`;
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          ctx.heartbeat({ bytes });
          done(null, chunk);
        },
      });
      await pool.sftp(from, (source) =>
        pool.sftp(to, (target) =>
          pipeline(source.createReadStream(fromPath), counter, target.createWriteStream(temp, { mode: 0o600 })),
        ),
      );
      const landed = await remoteSha256(pool, to, temp);
      if (landed !== sha256) {
        await pool.exec(to, removeScript(temp));
        throw ApplicationFailure.nonRetryable(
          `${where}: sha256 ${landed ?? '(unreadable)'} after transfer, expected ${sha256}`,
          'ChecksumMismatch',
        );
      }
      const moved = await pool.exec(to, moveIntoPlaceScript(temp, toPath));
      if (moved.code !== 0) throw new Error(`${where}: cannot move into place: ${moved.stderr.toString().trim()}`);
      return { bytes, unchanged: false };
    } catch (err) {
      if (err instanceof PermanentSshError) throw ApplicationFailure.nonRetryable(err.message, err.type);
      const code = (err as { code?: unknown }).code;
      // SFTP status 2 (no such file) or 3 (permission denied) will not heal with retries.
      if (code === 2 || code === 3) {
        throw ApplicationFailure.nonRetryable(`${where}: ${(err as Error).message}`, 'InvalidInput');
      }
      throw err;
    }
  };
}
