import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { quote } from '../core/quote';
import { SANDBOX_USER } from './hosts';
import { accepts, descendants, killTree, until } from './process';

/**
 * A running nginx load balancer. Everything lives in `prefix` (unique per start, owned by the user nginx runs as):
 * `configFile`, the pid file, `error.log`, temp dirs, and `upstreamFile` — the include a runbook replaces atomically
 * (see {@link upstreamConf}) before running `testCommand` (non-zero on a broken config) and `reloadCommand`, both
 * POSIX-quoted command lines. `stop()` quits gracefully, SIGKILLs whatever is left after 5 s, and is idempotent.
 */
export interface SandboxNginx {
  url: string;
  address: string;
  port: number;
  prefix: string;
  configFile: string;
  upstreamFile: string;
  upstreamName: string;
  testCommand: string;
  reloadCommand: string;
  stop(): Promise<void>;
}

/**
 * Options for {@link startNginx}. `dir` is the prefix's parent and must be traversable by `user` (a sandbox host's
 * `dir` is); `servers` are `address:port`; `user` defaults to {@link SANDBOX_USER} as root, else the current user.
 */
export interface NginxOptions {
  dir: string;
  address: string;
  port: number;
  upstreamName: string;
  servers: string[];
  user?: string;
  /** TLS listeners on the same address, each answering `ok` with its certificate (files readable by `user`). */
  tls?: Array<{ port: number; certFile: string; keyFile: string }>;
  /** An HTTP listener on the same address answering ACME HTTP-01 challenges from `webroot`. */
  acme?: { port: number; webroot: string };
}

const NGINX = '/usr/sbin/nginx';
const MISSING = 'nginx not found: install Debian package nginx (apt-get install -y nginx)';
const TEMPS = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];
const run = promisify(execFile);
// Prefixes of masters still running, so one process-wide 'exit' hook can stop those the owner forgot: a daemonized
// master has left our process tree and would outlive us.
const live = new Set<string>();
let hooked = false;

/** The text of an upstream include file: `upstream <name> { server a; server b down; ... }`. */
export function upstreamConf(name: string, servers: Array<string | { address: string; down?: boolean }>): string {
  // Values are spliced into nginx syntax, so anything that could end a directive or open a block is refused.
  if (!/^[\w.-]+$/.test(name)) throw new Error(`upstream name ${JSON.stringify(name)}: use [A-Za-z0-9_.-]`);
  if (servers.length === 0) throw new Error(`upstream ${name}: needs at least one server`);
  const lines = servers.map((s) => (typeof s === 'string' ? { address: s } : s));
  const bad = lines.find((s) => !/^[\w.:[\]-]+$/.test(s.address));
  if (bad) throw new Error(`upstream ${name}: bad server address ${JSON.stringify(bad.address)}`);
  const body = lines.map((s) => `  server ${s.address}${s.down ? ' down' : ''};\n`).join('');
  return `upstream ${name} {\n${body}}\n`;
}

function nginxConf(prefix: string, upstreamFile: string, o: NginxOptions): string {
  const at = (name: string) => `"${path.join(prefix, name)}"`;
  return [
    // No `user` directive: it only applies to a root master, and this master runs as the LB host's login user.
    'daemon on;',
    `pid ${at('nginx.pid')};`,
    `error_log ${at('error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    // A keep-alive client then stays on its connection until its worker retires at a reload (see client/sandbox/load.ts).
    '  keepalive_requests 1000000;',
    // The compiled-in temp paths are under /var/lib/nginx, which only root may write.
    ...TEMPS.map((t) => `  ${t}_temp_path ${at(`${t}_temp`)};`),
    `  include "${upstreamFile}";`,
    `  server {\n    listen ${o.address}:${o.port};`,
    `    location / {\n      proxy_pass http://${o.upstreamName};`,
    '      proxy_next_upstream error timeout http_502;\n      proxy_connect_timeout 2s;\n    }\n  }',
    ...(o.tls ?? []).map(
      (t) =>
        `  server {\n    listen ${o.address}:${t.port} ssl;\n    ssl_certificate "${t.certFile}";\n` +
        `    ssl_certificate_key "${t.keyFile}";\n    location / { return 200 "ok\\n"; }\n  }`,
    ),
    ...(o.acme
      ? [
          `  server {\n    listen ${o.address}:${o.acme.port};\n    root "${o.acme.webroot}";\n` +
            '    location /.well-known/acme-challenge/ { default_type text/plain; }\n    location / { return 404; }\n  }',
        ]
      : []),
    '}',
    '',
  ].join('\n');
}

const errorOf = (e: unknown) => ((e as { stderr?: string }).stderr?.trim() || (e as Error).message).slice(-2000);
const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** Live and not a zombie: a master reparented to an init that does not reap would otherwise look alive forever. */
function alive(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  return stat !== '' && stat[stat.lastIndexOf(')') + 2] !== 'Z';
}

/** The master's pid from its pid file, only if that process is still nginx running from `prefix` (pids get reused). */
function masterOf(prefix: string): number | undefined {
  const pid = Number(read(path.join(prefix, 'nginx.pid')).trim());
  return pid && `${read(`/proc/${pid}/cmdline`).replace(/\0/g, ' ')} `.includes(`-p ${prefix} `) ? pid : undefined;
}

async function halt(prefix: string): Promise<void> {
  live.delete(prefix);
  const master = masterOf(prefix);
  if (!master) return;
  // Workers are collected first: if the master dies before them, they are reparented and no longer its descendants.
  const all = [master, ...descendants(master)];
  try {
    process.kill(master, 'SIGQUIT');
  } catch {
    return; // It exited in the meantime.
  }
  if (!(await until(5000, async () => !all.some(alive)))) all.forEach((p) => killTree(p, 'SIGKILL'));
  await until(2000, async () => !all.some(alive));
}

/**
 * Starts nginx as a daemon owned by `user`, proxying `address:port` to the upstream `upstreamName`. Throws if nginx is
 * missing, the port is taken, `nginx -t` rejects the config, or the port does not accept within ~10 s.
 */
export async function startNginx(opts: NginxOptions): Promise<SandboxNginx> {
  if (!existsSync(NGINX)) throw new Error(MISSING);
  const { address, port, upstreamName } = opts;
  const asRoot = process.getuid?.() === 0;
  const me = os.userInfo().username;
  const user = opts.user ?? (asRoot ? SANDBOX_USER : me);
  if (!asRoot && user !== me) throw new Error(`nginx: only root can start nginx as ${user}, not ${me}`);
  if (await accepts(address, port)) throw new Error(`nginx: ${address}:${port} is already in use`);
  await mkdir(opts.dir, { recursive: true });
  // A fresh prefix per start: nothing (pid file, temp dirs, logs) is shared with another test file or a stale run.
  const prefix = await mkdtemp(path.join(path.resolve(opts.dir), 'nginx-'));
  for (const p of [prefix, ...(opts.tls ?? []).flatMap((t) => [t.certFile, t.keyFile]), opts.acme?.webroot ?? ''])
    if (/["\\$]/.test(p)) throw new Error(`nginx: ${p} cannot be written in nginx.conf`);
  const [configFile, upstreamFile] = [path.join(prefix, 'nginx.conf'), path.join(prefix, 'upstream.conf')];
  await writeFile(upstreamFile, upstreamConf(upstreamName, opts.servers));
  await writeFile(configFile, nginxConf(prefix, upstreamFile, opts));
  if (asRoot) await run('chown', ['-R', `${user}:`, prefix]);
  const args = ['-c', configFile, '-p', prefix];
  // As root, nginx is started as the user so the LB host's runbooks (that user, over ssh) can signal its master.
  const exec = (argv: string[]) => (asRoot ? run('runuser', ['-u', user, '--', ...argv]) : run(argv[0], argv.slice(1)));
  await exec([NGINX, '-t', '-q', ...args]).catch((e) => {
    const hint = /Permission denied/.test(errorOf(e)) ? ` (can ${user} traverse every parent of ${prefix}?)` : '';
    throw new Error(`nginx: nginx -t rejected ${configFile}: ${errorOf(e)}${hint}`);
  });
  // masterOf guards the pid: killTree(0) would reach init's children.
  if (!hooked) process.on('exit', () => [...live].map(masterOf).forEach((m) => m && killTree(m, 'SIGTERM')));
  hooked = true;
  live.add(prefix);
  const started = await exec([NGINX, ...args]).then(() => '', errorOf);
  if (started || !(await until(10_000, () => accepts(address, port)))) {
    await halt(prefix);
    const why = started || 'no connection accepted within 10 s';
    const log = read(path.join(prefix, 'error.log')).trim().slice(-2000) || '(empty)';
    throw new Error(`nginx: not serving on ${address}:${port}: ${why}; error.log: ${log}`);
  }
  const cmd = (flags: string) => `${NGINX} ${flags} ${args.map((a) => (a[0] === '-' ? a : quote(a))).join(' ')}`;
  const [url, testCommand, reloadCommand] = [`http://${address}:${port}/`, cmd('-t -q'), cmd('-s reload')];
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= halt(prefix));
  return { url, address, port, prefix, configFile, upstreamFile, upstreamName, testCommand, reloadCommand, stop };
}
