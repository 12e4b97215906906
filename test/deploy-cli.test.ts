import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import type { AuditRecord } from '../activities/audit';
import { ROOT } from '../sandbox/bootstrap';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { runCli, waitFor } from './support/harness';
import { blueGreenState, treeDigest } from './support/host-state';

const LOCK = 'deploy:test:app';
const LINK = /run: (http:\/\/localhost:8233\/namespaces\/default\/workflows\/deploy%3Atest%3Aapp\/([\w-]+)\/history)/;
const sha256Of = (text: string) => createHash('sha256').update(text).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `runway deploy` as CI runs it: the real CLI process against real sshd hosts behind real nginx. Bad input exits 2
 * with one line and touches nothing; the per-service lock refuses or queues a second deploy; `--wait` writes the
 * GitHub step summary and every run leaves its audit line.
 */
describe('runway deploy (CLI)', () => {
  let w: DeployWorld;
  beforeAll(async () => {
    w = await startDeployWorld('deploycli', {
      web: 2,
      lbPort: 18084,
      service: {
        strategy: 'blue-green',
        ports: { blue: 18041, green: 18042 },
        healthTimeout: '8s',
        drainWait: '300ms',
      },
    });
    await w.build('1.0.0');
    const first = await w.runway.wait(
      await w.runway.start('deploy', { environment: 'test', service: 'app', version: '1.0.0', actor: 'setup' }),
    );
    expect(first.exitCode).toBe(0);
  });
  afterAll(async () => {
    await w?.stop();
  });

  // An empty GITHUB_STEP_SUMMARY keeps a CI runner's own job summary out of these runs (the CLI skips it when empty).
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(['-c', w.world.configFile, ...args], { GITHUB_STEP_SUMMARY: '', ...env });
  const served = async () => (await (await fetch(w.nginx.url)).text()).trim();
  const runsOfWorld = async () => (await w.runway.client.workflow.count(`TaskQueue="${w.world.taskQueue}"`)).count;
  const auditLog = (): AuditRecord[] =>
    readFileSync(join(w.world.dir, '.runway', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditRecord);

  /** Everything a deploy could change on the hosts: slots, releases (bytes), upstream, releases dirs, journals. */
  const hostsSnapshot = () => ({
    state: blueGreenState(w),
    releases: w.world.sandbox.hosts.map((h) => {
      const dir = join(h.dir, 'app', 'releases');
      return [h.name, existsSync(dir) ? readdirSync(dir).sort() : []];
    }),
    journals: w.world.sandbox.hosts.map((h) => [h.name, treeDigest(join(h.dir, '.runway', 'journal'))]),
  });

  /** Files named `name` anywhere under `dir`. */
  const filesNamed = (dir: string, name: string): string[] =>
    readdirSync(dir).flatMap((entry) => {
      const path = join(dir, entry);
      const found = entry === name ? [path] : [];
      return lstatSync(path).isDirectory() ? [...found, ...filesNamed(path, name)] : found;
    });

  describe('bad input: exit 2, one clear line, nothing started, nothing changed', () => {
    const artifact = (version: string) => join(w.artifactsDir, `demo-app-${version}.tar.gz`);
    const otherSha = sha256Of('something else entirely');

    it.each<[string, () => Promise<string[]>, () => RegExp]>([
      [
        'an unknown service',
        async () => ['deploy', 'nope', '1.0.0', '-e', 'test'],
        () => /^runway: input\.service: unknown service "nope" \(known: app\)$/,
      ],
      [
        'an unknown environment',
        async () => ['deploy', 'app', '1.0.0', '-e', 'prod'],
        () => /^runway: input\.environment: unknown environment "prod" \(known: test\)$/,
      ],
      [
        'a version with shell in it',
        async () => ['deploy', 'app', '1.0;touch /tmp/x', '-e', 'test'],
        () => /^runway: input\.version: expected a version of letters, digits/,
      ],
      [
        'a version with a command substitution',
        async () => ['deploy', 'app', '1.0$(touch x)', '-e', 'test'],
        () => /^runway: input\.version: expected a version of letters, digits/,
      ],
      [
        'a version never built (no artifact)',
        async () => ['deploy', 'app', '9.9.9', '-e', 'test'],
        () => new RegExp(`^runway: artifact for 9\\.9\\.9: ${escape(artifact('9.9.9'))} does not exist`),
      ],
      [
        'a --sha256 that does not match the artifact',
        async () => {
          await w.build('3.0.0');
          return ['deploy', 'app', '3.0.0', '-e', 'test', '--sha256', otherSha];
        },
        () =>
          new RegExp(
            `^runway: artifact for 3\\.0\\.0: ${escape(artifact('3.0.0'))} has sha256 [0-9a-f]{64}, expected ${otherSha}$`,
          ),
      ],
      [
        'a sidecar .sha256 file that does not match the artifact',
        async () => {
          const { file } = await w.build('3.1.0');
          writeFileSync(`${file}.sha256`, `${otherSha}  ${basename(file)}\n`);
          return ['deploy', 'app', '3.1.0', '-e', 'test'];
        },
        () =>
          new RegExp(
            `^runway: artifact for 3\\.1\\.0: ${escape(artifact('3.1.0'))} has sha256 [0-9a-f]{64}, expected ${otherSha}$`,
          ),
      ],
    ])('%s', async (_, prepare, expected) => {
      const args = await prepare();
      const strays = ['/tmp/x', join(homedir(), 'x'), join(ROOT, 'x')];
      const straysBefore = strays.filter((f) => existsSync(f));
      expect(straysBefore).not.toContain('/tmp/x');
      const before = hostsSnapshot();
      const runsBefore = await runsOfWorld();

      const result = await cli([...args, '--wait']);

      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(expected());
      expect(result.stdout).toBe('');
      await sleep(1000); // visibility catches up with a start within milliseconds on the dev server
      expect(await runsOfWorld()).toBe(runsBefore);
      expect(hostsSnapshot()).toEqual(before);
      expect(strays.filter((f) => existsSync(f))).toEqual(straysBefore);
      expect(filesNamed(w.world.dir, 'x')).toEqual([]);
      expect(await served()).toBe('version=1.0.0');
    });
  });

  it('the lock: a second deploy is refused naming the running one; --wait-lock queues behind it', async () => {
    await w.build('2.0.0', { failHealth: true });
    await w.build('2.1.0');

    const first = await cli(['deploy', 'app', '2.0.0', '-e', 'test']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`started ${LOCK}`);
    const firstRunId = first.stdout.match(LINK)?.[2];
    expect(firstRunId).toBeDefined();
    // Followed from its start: the bad release fails its health gate, rolls back, and `follow` exits 1.
    const followed = cli(['follow', LOCK]);

    const refused = await cli(['deploy', 'app', '2.1.0', '-e', 'test', '--wait']);
    expect(refused.code).toBe(2);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^runway: /);
    expect(lines[0]).toContain(LOCK);
    expect(lines[0]).toContain('2.0.0');
    expect(lines[0]).toContain(firstRunId);
    expect(lines[0]).toContain('--wait-lock');
    // The refusal must have met a running deploy, not raced its end.
    const holder = await w.runway.handle(LOCK, firstRunId).describe();
    expect(holder.status.name).toBe('RUNNING');

    const queued = cli(['deploy', 'app', '2.1.0', '-e', 'test', '--wait-lock', '--wait']);
    const firstOutcome = await w.runway.wait(w.runway.handle(LOCK, firstRunId));
    expect(firstOutcome.exitCode).toBe(1);
    expect(firstOutcome.status).toBe('failed');
    expect(firstOutcome.message).toMatch(/2\.0\.0 in \w+ is not healthy/);
    const followResult = await followed;
    expect(followResult.code).toBe(1);

    const third = await queued;
    expect(third.code).toBe(0);
    expect(third.stderr).toContain(`waiting for the lock: deploy app 2.0.0 (run ${firstRunId}`);
    const thirdRunId = third.stdout.match(LINK)?.[2];
    expect(thirdRunId).toBeDefined();
    expect(thirdRunId).not.toBe(firstRunId);
    const [a, b] = await Promise.all([
      w.runway.handle(LOCK, firstRunId).describe(),
      w.runway.handle(LOCK, thirdRunId).describe(),
    ]);
    expect(b.startTime.getTime()).toBeGreaterThanOrEqual(a.closeTime!.getTime());

    expect(await served()).toBe('version=2.1.0');
    const state = blueGreenState(w);
    expect(state.hosts.map((h) => h.version)).toEqual(['2.1.0', '2.1.0']);
  });

  describe('--wait in GitHub Actions: step summary and audit line', () => {
    const gha = () => {
      const summary = join(mkdtempSync(join(tmpdir(), 'runway-summary-')), 'step-summary.md');
      writeFileSync(summary, '');
      return { summary, env: { GITHUB_STEP_SUMMARY: summary, GITHUB_ACTOR: 'octocat' } };
    };

    it('a good release: exit 0, the summary has the outcome, the steps and the link; audited as octocat', async () => {
      await w.build('4.0.0');
      const { summary, env } = gha();
      const result = await cli(['deploy', 'app', '4.0.0', '-e', 'test', '--wait'], env);
      expect(result.code).toBe(0);
      const [, link, runId] = result.stdout.match(LINK) ?? [];
      expect(runId).toBeDefined();

      const text = readFileSync(summary, 'utf8');
      expect(text).toContain('### deploy app 4.0.0 → test: succeeded (exit 0)');
      expect(text).toContain('| step | status | hosts |\n|---|---|---|\n');
      expect(text).toMatch(/\| upload 4\.0\.0 \| ✅ succeeded \| web-1: succeeded, web-2: succeeded \|/);
      expect(text).toContain(`[The run in Temporal](${link})`);

      const records = auditLog().filter((r) => r.runId === runId);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        workflowId: LOCK,
        runbook: 'deploy',
        environment: 'test',
        service: 'app',
        version: '4.0.0',
        actor: 'octocat',
        status: 'succeeded',
        approvals: [],
        undeliveredNotifications: 0,
      });
      expect(records[0].error).toBeUndefined();
      expect(Date.parse(records[0].endedAt!)).toBeGreaterThanOrEqual(Date.parse(records[0].startedAt));
      expect(await served()).toBe('version=4.0.0');
    });

    it('a release failing its health gate: exit 1, the summary says failed, audited as failed with the error', async () => {
      await w.build('4.1.0', { failHealth: true });
      const before = blueGreenState(w);
      const { summary, env } = gha();
      const result = await cli(['deploy', 'app', '4.1.0', '-e', 'test', '--wait'], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/deploy failed: .*not healthy.*rolled back \d+ steps? \(exit 1\)/);
      const runId = result.stdout.match(LINK)?.[2];
      expect(runId).toBeDefined();

      const text = readFileSync(summary, 'utf8');
      expect(text).toContain('### deploy app 4.1.0 → test: failed (exit 1)');
      expect(text).toMatch(/\| health of \w+ \| ❌ failed \|/);
      expect(text).toMatch(/↩️ undone/);

      const records = auditLog().filter((r) => r.runId === runId);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ version: '4.1.0', service: 'app', actor: 'octocat', status: 'failed' });
      expect(records[0].error).toMatch(/4\.1\.0 in \w+ is not healthy on 2 hosts/);
      // Each host's reason is the probe's own words, not the wrapper's "Activity task failed".
      const [web1, web2] = w.world.sandbox.hosts.map((h) => escape(h.address));
      expect(records[0].error).toMatch(
        new RegExp(`web-1: http://${web1}:\\d+/health did not answer 200 within 8000 ms`),
      );
      expect(records[0].error).toMatch(
        new RegExp(`web-2: http://${web2}:\\d+/health did not answer 200 within 8000 ms`),
      );
      expect(records[0].error).not.toContain('Activity task failed');
      expect(blueGreenState(w)).toEqual(before);
      expect(await served()).toBe('version=4.0.0');
    });
  });

  it('--json prints the final report as JSON (with a matching --sha256 pin)', async () => {
    const { sha256 } = await w.build('5.0.0');
    const result = await cli(['deploy', 'app', '5.0.0', '-e', 'test', '--sha256', sha256, '--wait', '--json']);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as {
      exitCode: number;
      status: string;
      report: { labels: Record<string, string>; steps: Array<{ name: string; status: string }> };
    };
    expect(parsed.exitCode).toBe(0);
    expect(parsed.status).toBe('succeeded');
    expect(parsed.report.labels).toMatchObject({ service: 'app', version: '5.0.0' });
    expect(parsed.report.steps.map((s) => s.name)).toContain('upload 5.0.0');
    expect(parsed.report.steps.every((s) => s.status === 'succeeded')).toBe(true);
    await waitFor('nginx to serve 5.0.0', async () => (await served()) === 'version=5.0.0', 5000);
  });
});

describe('.github/workflows/deploy.yml', () => {
  type Step = { name?: string; run?: string; env?: Record<string, string>; uses?: string };
  type Job = {
    steps: Step[];
    env?: Record<string, string>;
    concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  };
  const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'deploy.yml'), 'utf8')) as {
    on: { push: { branches: string[] }; workflow_dispatch: { inputs: { version: object } } };
    jobs: Record<string, Job>;
  };
  const jobs = Object.values(workflow.jobs);
  const steps = jobs.flatMap((job) => job.steps);
  const deployJob = jobs.find((job) => job.steps.some((s) => s.run?.includes('runway deploy')))!;
  const deployStep = deployJob?.steps.find((s) => s.run?.includes('runway deploy'));

  it('runs on pushes to main and by hand with a version, one deploy per environment at a time', () => {
    expect(workflow.on.push.branches).toContain('main');
    expect(workflow.on.workflow_dispatch.inputs.version).toBeDefined();
    expect(deployJob.concurrency?.group).toContain('production');
    expect(deployJob.concurrency?.['cancel-in-progress']).toBe(false);
  });

  it('deploys the given version (or the commit) with --wait, with Temporal and Slack credentials from secrets', () => {
    expect(deployStep?.run).toBe('npx runway deploy api "$VERSION" -e production --wait');
    const env = { ...deployJob.env, ...deployStep?.env };
    expect(env).toEqual(
      expect.objectContaining({
        VERSION: '${{ inputs.version || github.sha }}',
        TEMPORAL_ADDRESS: '${{ secrets.TEMPORAL_ADDRESS }}',
        TEMPORAL_API_KEY: '${{ secrets.TEMPORAL_API_KEY }}',
        SLACK_TOKEN: '${{ secrets.SLACK_TOKEN }}',
        RUNWAY_CONFIG: expect.any(String),
      }),
    );
  });

  it('writes the ssh key from a secret with mode 0600, and no script splices in a secret or an input', () => {
    const keyStep = steps.find((s) => Object.values(s.env ?? {}).some((v) => /secrets\.\w*SSH/.test(v)));
    expect(keyStep?.run).toMatch(/umask 077/);
    expect(keyStep?.run).toMatch(/chmod 600/);
    expect(keyStep?.run).not.toMatch(/echo|set -x/);
    for (const step of steps) expect(step.run ?? '').not.toContain('${{');
  });
});
