import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildDemoArtifact } from '../sandbox/artifacts';
import { startSandbox, type Sandbox, type SandboxHost } from '../sandbox/hosts';
import { startNginx, upstreamConf, type SandboxNginx } from '../sandbox/nginx';
import { accepts, descendants, sleep, until } from '../sandbox/process';
import { quote } from '../core/quote';
import { startLoad } from '../sandbox/load';

type App = { child: ChildProcess; exited: Promise<number | null> };

const run = promisify(execFile);
const apps: App[] = [];
let dir: string;
let sandbox: Sandbox;
let nginx: SandboxNginx;
let v1: App;
let load: ReturnType<typeof startLoad> | undefined;

/** Runs a command line on a host with the OpenSSH client, as the host's login user (as a runbook would). */
function ssh(h: SandboxHost, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const trust = ['-o', `UserKnownHostsFile=${sandbox.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes'];
  // -F /dev/null and IdentitiesOnly keep this machine's own ssh config and agent out of the test.
  const opts = ['-F', '/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-i', sandbox.clientKeyFile];
  const args = [...opts, ...trust, '-p', String(h.port), `${sandbox.user}@${h.address}`, command];
  return new Promise((resolve) =>
    execFile('ssh', args, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 255) : 0, stdout, stderr }),
    ),
  );
}

/** Unpacks a release under app-1's dir as its login user, and starts it there on `port` as that user. */
async function deployApp(version: string, port: number, failHealth = false): Promise<App> {
  const [app1] = sandbox.hosts;
  const { file } = await buildDemoArtifact({ dir: path.join(dir, 'artifacts'), version, failHealth });
  const release = path.join(app1.dir, 'releases', version);
  const unpack = `mkdir -p ${quote(release)} && tar -xzf ${quote(file)} -C ${quote(release)}`;
  expect(await ssh(app1, unpack)).toMatchObject({ code: 0 });
  const ids = process.getuid?.() === 0 ? { uid: await id('-u'), gid: await id('-g') } : {};
  const env = { ...process.env, ADDRESS: app1.address, PORT: String(port) };
  const child = spawn(process.execPath, ['app.js'], { cwd: release, env, ...ids, stdio: 'ignore' });
  const app = { child, exited: new Promise<number | null>((r) => child.on('exit', r)) };
  apps.push(app);
  expect(await until(10_000, () => accepts(app1.address, port))).toBe(true);
  return app;
}

const proc = (pid: string, file: string) => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return ''; // It exited while we looked.
  }
};
const id = async (flag: string) => Number((await run('id', [flag, sandbox.user])).stdout.trim());
const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, version: res.headers.get('x-version'), body: await res.text() };
};
/** Replaces the upstream file the way a runbook does: a temp file renamed over it, as the LB host's user. */
const writeUpstream = (text: string) => {
  const tmp = quote(`${nginx.upstreamFile}.tmp`);
  return `printf %s ${quote(text)} > ${tmp} && mv -f ${tmp} ${quote(nginx.upstreamFile)}`;
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'runway-nginx-'));
  sandbox = await startSandbox({ dir, count: 2, names: ['app-1', 'lb-1'] });
  v1 = await deployApp('v1', 18101);
  await deployApp('v2', 18102);
  const lb = sandbox.hosts[1];
  const servers = [`${sandbox.hosts[0].address}:18101`];
  nginx = await startNginx({ dir: lb.dir, address: lb.address, port: 18180, upstreamName: 'demo', servers });
});

afterAll(async () => {
  await load?.stop(); // A failed assertion must not leave the loops hammering a stopped nginx.
  apps.forEach((a) => a.child.kill('SIGKILL'));
  await nginx?.stop();
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('nginx proxies to v1; health checks tell a good release from a bad one', async () => {
  expect(nginx.url).toBe(`http://${sandbox.hosts[1].address}:18180/`);
  expect(await get(nginx.url)).toEqual({ status: 200, version: 'v1', body: 'version=v1\n' });
  expect(await get(`http://${sandbox.hosts[0].address}:18101/health`)).toMatchObject({ status: 200, body: 'ok v1\n' });
  const bad = await deployApp('v3-bad', 18103, true);
  expect(await get(`http://${sandbox.hosts[0].address}:18103/health`)).toMatchObject({
    status: 500,
    body: 'unhealthy\n',
  });
  bad.child.kill('SIGTERM');
  expect(await bad.exited).toBe(0);
});

test('switching the upstream to v2 under load, then draining v1, drops no request', async () => {
  load = startLoad(nginx.url, { concurrency: 8 });
  await sleep(500);
  const v2Upstream = writeUpstream(upstreamConf('demo', [`${sandbox.hosts[0].address}:18102`]));
  // `nginx -s` reports "signal process started" on stderr (its log before it reads the config), so only the code counts.
  const switched = await ssh(sandbox.hosts[1], [v2Upstream, nginx.testCommand, nginx.reloadCommand].join(' && '));
  expect(switched).toMatchObject({ code: 0 });
  // A reload lets the old workers (v1) accept beside the new ones (v2) for ~100 ms, so a client opening a connection
  // per request could see v1/v2 interleave there; the keep-alive probe (a browser's view) sees one switch.
  await sleep(500);
  const settled = startLoad(nginx.url, { concurrency: 0 });
  await sleep(500);
  v1.child.kill('SIGTERM');
  expect(await v1.exited).toBe(0);
  await sleep(1000);
  const [report, after] = [await load.stop(), await settled.stop()];
  expect(report).toMatchObject({ failures: 0, errors: [] });
  expect(report.versions).toEqual(['v1', 'v2']);
  expect(report.total).toBeGreaterThan(50);
  expect(after).toMatchObject({ failures: 0, versions: ['v2'] });
});

test('a broken upstream file fails the test command, and nginx keeps serving v2 even when told to reload', async () => {
  const lb = sandbox.hosts[1];
  expect(await ssh(lb, writeUpstream('upstream demo { server ; }\n'))).toMatchObject({ code: 0 });
  const tested = await ssh(lb, nginx.testCommand);
  expect(tested.code).not.toBe(0);
  expect(tested.stderr).toMatch(/\[emerg\].*upstream\.conf/);
  // Past the test, a raw SIGHUP: the master parses the new config, rejects it, and keeps its workers and old config.
  expect(await ssh(lb, `kill -HUP "$(cat ${quote(path.join(nginx.prefix, 'nginx.pid'))})"`)).toMatchObject({ code: 0 });
  await sleep(500);
  expect(await get(nginx.url)).toMatchObject({ status: 200, version: 'v2' });
  expect(readFileSync(path.join(nginx.prefix, 'error.log'), 'utf8')).toMatch(/\[emerg\]/);
});

test('stop() leaves no nginx process behind, and is idempotent', async () => {
  const master = Number(readFileSync(path.join(nginx.prefix, 'nginx.pid'), 'utf8'));
  const pids = [master, ...descendants(master)];
  expect(pids.length).toBeGreaterThan(1);
  await Promise.all([nginx.stop(), nginx.stop()]);
  await nginx.stop();
  const all = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  expect(all.filter((p) => proc(p, 'cmdline').includes(nginx.prefix))).toEqual([]);
  // A zombie (exited, not yet reaped by init) is gone for our purposes.
  expect(pids.filter((p) => /^\d+ \(.*\) [^Z]/.test(proc(String(p), 'stat')))).toEqual([]);
  expect(await accepts(nginx.address, nginx.port)).toBe(false);
});
