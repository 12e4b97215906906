import type { HostRef } from '../../core/plan';
import { quote } from '../../core/quote';
import type { SshPool } from './pool';

/** Small files read and written whole over ssh (a key, a certificate): the bytes go over the channel, never a command line. */
export interface HostFiles {
  /** The file's bytes, or undefined when it does not exist. */
  read(host: HostRef, path: string): Promise<Buffer | undefined>;
  /** Writes the file through a temporary name beside it, created with `mode`, and renames it into place. */
  write(host: HostRef, path: string, data: Buffer, mode: number): Promise<void>;
}

export function createFiles(pool: SshPool): HostFiles {
  return {
    async read(host, path) {
      const answer = await pool.exec(host, `if [ -e ${quote(path)} ]; then cat ${quote(path)}; else exit 3; fi`);
      if (answer.code === 3) return undefined;
      if (answer.code !== 0) throw new Error(`${host.name}: cannot read ${path}: ${answer.stderr.toString().trim()}`);
      return answer.stdout;
    },
    async write(host, path, data, mode) {
      const temp = quote(`${path}.runway-tmp`);
      const octal = mode.toString(8);
      // umask first: the bytes never sit in a file more open than `mode`.
      const script = `umask 077 && cat > ${temp} && chmod ${octal} ${temp} && mv -f ${temp} ${quote(path)}`;
      const answer = await pool.exec(host, script, undefined, data);
      if (answer.code !== 0) throw new Error(`${host.name}: cannot write ${path}: ${answer.stderr.toString().trim()}`);
    },
  };
}
