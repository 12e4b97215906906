import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import type { SshConfig } from '../../config';
import type { HostRef } from '../../core/plan';
import { resolveSecret } from '../../config';
import { HostKeyError, KnownHosts, UnknownHostError } from './known-hosts';
import { pruneScript } from './scripts';
import { Semaphore } from './semaphore';
import { countInActivity } from '../metrics';

/** A command's raw answer: exit code (undefined when the connection broke first) and whole stdout/stderr. */
export interface RawAnswer {
  code?: number;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
}

/** A failure retrying cannot fix: refused host key, failed authentication. */
export class PermanentSshError extends Error {
  override readonly name = 'PermanentSshError';
  constructor(
    message: string,
    readonly type: 'HostKeyRejected' | 'AuthFailed',
  ) {
    super(message);
  }
}

/** Algorithms OpenSSH offers for each known_hosts key type. */
const ALGORITHMS_FOR: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

interface Connection {
  ready: Promise<Client>;
  channels: Semaphore;
}

/**
 * One pooled ssh2 connection per `user@address:port`, with keepalive, a bound on open channels (sshd's MaxSessions),
 * and every host key verified against known_hosts before anything is sent.
 */
export class SshPool {
  private readonly connections = new Map<string, Connection>();
  private readonly pruned = new Set<string>();
  private readonly handshakeCounts = new Map<string, number>();
  private knownHostsRead?: { stamp: string; hosts: KnownHosts };

  constructor(private readonly ssh: SshConfig) {}

  /**
   * Completed ssh handshakes (connected, host key verified, logged in) by host name since the pool was made. A host's
   * connection lives as long as the worker, so this stays at 1 per host however many runs and steps use it; each
   * connection that dropped and was made again adds one.
   */
  handshakes(): Record<string, number> {
    return Object.fromEntries(this.handshakeCounts);
  }

  /** Runs one command on a channel of its own; resolves when the channel closes. Aborting closes the channel. */
  async exec(host: HostRef, command: string, signal?: AbortSignal, stdin?: Buffer): Promise<RawAnswer> {
    return this.withChannel(host, (client) => runOnChannel(client, command, signal, stdin));
  }

  /** Runs `fn` with an SFTP session on the host. */
  async sftp<T>(host: HostRef, fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    return this.withChannel(host, async (client) => {
      const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
        client.sftp((err, s) => (err ? reject(transport(host, err)) : resolve(s))),
      );
      try {
        return await fn(sftp);
      } finally {
        sftp.end();
      }
    });
  }

  /** Closes every connection. */
  close(): void {
    for (const { ready } of this.connections.values()) ready.then((c) => c.end()).catch(() => undefined);
    this.connections.clear();
  }

  private async withChannel<T>(host: HostRef, fn: (client: Client) => Promise<T>): Promise<T> {
    const connection = this.connection(host);
    const client = await connection.ready;
    await connection.channels.acquire();
    try {
      return await fn(client);
    } finally {
      connection.channels.release();
    }
  }

  private connection(host: HostRef): Connection {
    const id = `${host.user}@${host.address}:${host.port}`;
    const existing = this.connections.get(id);
    if (existing) return existing;
    // Only this connection's own end removes it: a newer one under the same id must stay.
    const forget = () => this.connections.get(id) === connection && this.connections.delete(id);
    const connection: Connection = {
      ready: this.connect(host, forget),
      channels: new Semaphore(this.ssh.maxChannelsPerHost),
    };
    connection.ready.then(
      () => {
        this.handshakeCounts.set(host.name, (this.handshakeCounts.get(host.name) ?? 0) + 1);
        countInActivity('sshHandshakes', { host: host.name });
      },
      (err: Error) => {
        forget();
        const refused = err instanceof PermanentSshError && err.type === 'HostKeyRejected';
        countInActivity(refused ? 'hostKeyRefusals' : 'sshConnectionFailures', { host: host.name });
      },
    );
    this.connections.set(id, connection);
    return connection;
  }

  private connect(host: HostRef, onClose: () => void): Promise<Client> {
    const knownHosts = this.knownHosts();
    const types = knownHosts.typesFor(host.address, host.port);
    let rejection: HostKeyError | undefined;
    const config: ConnectConfig = {
      host: host.address,
      port: host.port,
      username: host.user,
      readyTimeout: this.ssh.connectTimeout,
      keepaliveInterval: this.ssh.keepaliveInterval,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        try {
          knownHosts.verify(host.name, host.address, host.port, key);
          return true;
        } catch (err) {
          if (err instanceof UnknownHostError && this.ssh.trustOnFirstUse) {
            // Asked for explicitly in config: remember the key, so a later change is refused like any other.
            appendFileSync(this.ssh.knownHosts, `${err.line}\n`);
            console.warn(`runway: trusting ${host.name} on first use and adding it to ${this.ssh.knownHosts}`);
            return true;
          }
          rejection = err as HostKeyError;
          return false;
        }
      },
      ...(types.length > 0
        ? { algorithms: { serverHostKey: types.flatMap((t) => ALGORITHMS_FOR[t] ?? [t]) as never } }
        : {}),
      ...this.credentials(),
    };
    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let ready = false;
      client.once('ready', () => {
        ready = true;
        // Without it, Nagle's algorithm and delayed ACKs add ~40 ms to every short command's round trips.
        client.setNoDelay(true);
        resolve(client);
        this.prune(host, client);
      });
      client.on('error', (err) => {
        if (ready) return; // a broken live connection surfaces on its channels and 'close'
        if (rejection) reject(new PermanentSshError(rejection.message, 'HostKeyRejected'));
        else if (/authentication methods failed/i.test(err.message)) {
          reject(
            new PermanentSshError(
              `${host.user}@${host.name} (${host.address}:${host.port}): authentication failed`,
              'AuthFailed',
            ),
          );
        } else reject(transport(host, err));
      });
      client.on('close', () => {
        onClose();
        if (!ready)
          reject(
            rejection
              ? new PermanentSshError(rejection.message, 'HostKeyRejected')
              : transport(host, new Error('connection closed')),
          );
      });
      client.connect(config);
    });
  }

  /** Key material is read at the moment of connecting and handed to ssh2 only; it is never logged or returned. */
  /**
   * known_hosts as the file is now: read again only when it changed (an operator's edit, a trust-on-first-use line),
   * so a thousand connections share one parsed copy instead of each keeping its own.
   */
  private knownHosts(): KnownHosts {
    const file = this.ssh.knownHosts;
    let stamp = 'missing';
    try {
      const st = statSync(file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (this.knownHostsRead?.stamp !== stamp) this.knownHostsRead = { stamp, hosts: KnownHosts.load(file) };
    return this.knownHostsRead.hosts;
  }

  private credentials(): Partial<ConnectConfig> {
    const { key, agent } = this.ssh;
    const out: Partial<ConnectConfig> = {};
    if (agent && process.env.SSH_AUTH_SOCK) out.agent = process.env.SSH_AUTH_SOCK;
    if (key) {
      out.privateKey = readFileSync(key.file);
      if (key.passphrase) out.passphrase = resolveSecret(key.passphrase, 'ssh.key.passphrase').reveal();
    }
    return out;
  }

  /** Once per host and worker process: drop old journal entries, in the background, ignoring failures. */
  private prune(host: HostRef, client: Client): void {
    const id = `${host.user}@${host.address}:${host.port}:${host.journalDir}`;
    if (this.pruned.has(id)) return;
    this.pruned.add(id);
    runOnChannel(client, pruneScript(host.journalDir)).catch(() => undefined);
  }
}

/** A connection-level failure, retryable: names the host and what the network said. */
export function transport(host: HostRef, err: Error): Error {
  const code = (err as NodeJS.ErrnoException).code;
  return new Error(`ssh ${host.name} (${host.address}:${host.port}): ${code ? `${code} ` : ''}${err.message}`);
}

function runOnChannel(client: Client, command: string, signal?: AbortSignal, stdin?: Buffer): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    client.exec(command, (err, channel: ClientChannel) => {
      if (err) return reject(err);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let code: number | undefined;
      let sig: string | undefined;
      const onAbort = () => {
        channel.close();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      channel.on('data', (chunk: Buffer) => stdout.push(chunk));
      channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      if (stdin) channel.end(stdin);
      channel.on('exit', (c: number | null, s?: string) => {
        code = c ?? undefined;
        sig = s;
      });
      channel.on('close', () => {
        signal?.removeEventListener('abort', onAbort);
        resolve({ code, signal: sig, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
      });
    });
  });
}
