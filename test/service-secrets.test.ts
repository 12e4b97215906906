import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { spawnWorker, waitFor } from './support/harness';
import { historyText } from './support/history';
import { startSlackServer, type SlackServer } from './support/slack-server';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const fresh = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;

/**
 * Service secrets on real hosts: resolved by a `runway worker` process from a file and from a command, written beside
 * each release's runway.env (0600), in the demo app's environment, redacted wherever a command prints them, and absent
 * from every history, Slack message, audit line and worker log — and a rollback brings back its release's secrets.
 */
describe('service secrets', () => {
  let w: DeployWorld;
  let slack: SlackServer;
  let worker: ChildProcess | undefined;
  let workerLog = '';
  const runs: string[] = [];
  const first = { secret: fresh('first-secret'), token: fresh('token') };
  const second = fresh('second-secret');
  let secretFile: string;

  const startWorker = async () => {
    worker = await spawnWorker(w.world);
    worker.stdout!.on('data', (d: Buffer) => (workerLog += d.toString()));
    worker.stderr!.on('data', (d: Buffer) => (workerLog += d.toString()));
  };
  const stopWorker = async () => {
    if (!worker || worker.exitCode !== null) return;
    const exited = new Promise((resolve) => worker!.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  };

  beforeAll(async () => {
    slack = await startSlackServer({ channels: ['#ops'] });
    process.env.RUNWAY_TEST_SECRETS_SLACK = slack.token;
    const dir = `/tmp/runway-secrets-${process.pid}`;
    mkdirSync(dir, { recursive: true });
    secretFile = join(dir, 'demo-secret');
    writeFileSync(secretFile, `${first.secret}\n`);
    writeFileSync(join(dir, 'demo-token'), first.token);
    w = await startDeployWorld('secrets', {
      web: 2,
      lbPort: 18336,
      noWorker: true,
      service: {
        strategy: 'blue-green',
        ports: { blue: 18331, green: 18332 },
        healthTimeout: '5s',
        drainWait: '200ms',
        secrets: {
          DEMO_SECRET: { file: secretFile },
          DEMO_TOKEN: { command: `cat ${join(dir, 'demo-token')}` },
        },
      },
      extra: [
        'notify:',
        '  slack:',
        '    channel: "#ops"',
        '    token: { env: RUNWAY_TEST_SECRETS_SLACK }',
        `    apiUrl: ${slack.url}`,
        '',
      ].join('\n'),
    });
    await startWorker();
  });
  afterAll(async () => {
    await stopWorker();
    await w?.stop();
    await slack?.stop();
  });

  const run = async (runbook: string, input: Record<string, unknown>) => {
    const handle = await w.runway.start(runbook, { environment: 'test', actor: 'ci', ...input });
    runs.push(handle.workflowId);
    return { handle, outcome: await w.runway.wait(handle) };
  };
  const deploy = async (version: string) => {
    await w.build(version);
    return (await run('deploy', { service: 'app', version })).outcome;
  };
  const webHosts = () => w.world.sandbox.hosts.filter((h) => h.name.startsWith('web'));
  /** What the live instance on each web host reports for a variable: the sha256 of its value. */
  const liveHashes = async (name: string) =>
    Promise.all(
      webHosts().map(async (h) => {
        const live = readFileSync(join(h.dir, 'app', 'live'), 'utf8').trim();
        const port = live === 'blue' ? 18331 : 18332;
        return (await (await fetch(`http://${h.address}:${port}/sha256/${name}`)).text()).trim();
      }),
    );

  it('a deploy writes the secrets beside runway.env (0600) and the started process has them', async () => {
    expect((await deploy('1.0.0')).exitCode).toBe(0);
    expect(await liveHashes('DEMO_SECRET')).toEqual([sha256(first.secret), sha256(first.secret)]);
    expect(await liveHashes('DEMO_TOKEN')).toEqual([sha256(first.token), sha256(first.token)]);
    // runway.env settings reach the process too, read as text (never evaluated).
    expect(await liveHashes('GREETING')).toEqual([sha256('hello'), sha256('hello')]);
    for (const h of webHosts()) {
      const file = join(h.dir, 'app', 'releases', '1.0.0', 'runway.secrets');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toBe(`DEMO_SECRET='${first.secret}'\nDEMO_TOKEN='${first.token}'\n`);
    }
  });

  it('a new secret goes out with the next release; a rollback brings back the secrets its release was deployed with', async () => {
    writeFileSync(secretFile, second);
    expect((await deploy('2.0.0')).exitCode).toBe(0);
    expect(await liveHashes('DEMO_SECRET')).toEqual([sha256(second), sha256(second)]);
    const { outcome } = await run('rollback', { service: 'app' });
    expect(outcome.exitCode).toBe(0);
    expect((await (await fetch(w.nginx.url)).text()).trim()).toBe('version=1.0.0');
    expect(await liveHashes('DEMO_SECRET')).toEqual([sha256(first.secret), sha256(first.secret)]);
  });

  it('a command that prints a secret shows [REDACTED], in its output tails and in its error', async () => {
    const cat = (v: string) => `cat ${join(webHosts()[0].dir, 'app', 'releases', v)}/runway.secrets`;
    // The worker resolved the first secret when it deployed 1.0.0, and the second since: both are redacted.
    const ok = await run('exec', { role: 'web', command: `${cat('1.0.0')}; ${cat('2.0.0')}` });
    expect(ok.outcome.exitCode).toBe(0);
    const tails = Object.values(ok.outcome.report!.steps[0].hosts).map((h) => h.stdoutTail);
    const redacted = "DEMO_SECRET='[REDACTED]'\nDEMO_TOKEN='[REDACTED]'\n".repeat(2);
    expect(tails).toEqual([redacted, redacted]);
    // A fresh worker process knows the current values because it resolves every configured reference at start.
    await stopWorker();
    await startWorker();
    const failed = await run('exec', { role: 'web', command: `${cat('2.0.0')} >&2; exit 3` });
    expect(failed.outcome.exitCode).toBe(1);
    expect(failed.outcome.report!.error).toContain("exited 3 (DEMO_TOKEN='[REDACTED]')");
    const stderr = Object.values(failed.outcome.report!.steps[0].hosts).map((h) => h.stderrTail);
    expect(stderr).toEqual([redacted.slice(0, redacted.length / 2), redacted.slice(0, redacted.length / 2)]);
    expect(JSON.stringify(failed.outcome.report)).not.toContain(second);
    // The commands did print the values: they are in the host's own journal of the command, and nowhere else.
    const journal = join(webHosts()[0].dir, '.runway', 'journal');
    const printed = readdirSync(journal).some((d) => {
      const err = join(journal, d, 'err');
      return existsSync(err) && readFileSync(err, 'utf8').includes(second);
    });
    expect(printed).toBe(true);
  });

  it('no secret value is in any history, Slack message, audit line or worker log', async () => {
    const values = [first.secret, first.token, second];
    const { client } = w.runway;
    const histories = await Promise.all(
      runs.map(async (id) => historyText(await client.workflow.getHandle(id).fetchHistory())),
    );
    expect(histories.length).toBe(runs.length);
    // The histories are searchable: the secret references (not values) and the redacted tails are in them.
    expect(histories.join('\n')).toContain('[REDACTED]');
    expect(histories.join('\n')).toContain(secretFile);
    await waitFor('slack messages of every run', () => slack.messages('#ops').length >= runs.length || undefined);
    const slackText = JSON.stringify([slack.messages(), ...slack.messages().map((m) => slack.replies(m.ts))]);
    expect(slackText).toContain('[REDACTED]');
    const audit = readFileSync(join(w.world.dir, '.runway', 'audit.jsonl'), 'utf8');
    expect(audit.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(runs.length);
    for (const value of values) {
      for (const [where, text] of [
        ...histories.map((h, i) => [`history of ${runs[i]}`, h]),
        ['slack', slackText],
        ['audit', audit],
        ['worker log', workerLog],
      ]) {
        expect({ where, leaked: text.includes(value) }).toEqual({ where, leaked: false });
      }
    }
  });
});
