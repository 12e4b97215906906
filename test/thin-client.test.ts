import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ensureTemporal } from '../sandbox/bootstrap';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { runCli, temporalAddress, waitFor, type CliResult } from './support/harness';
import { rollingState, treeDigest } from './support/host-state';

/** The real `runway` CLI, run from `cwd` with no `-c`: it reads `./runway.yml` there, as on a CI machine. */
function cliIn(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, { GITHUB_STEP_SUMMARY: '', RUNWAY_CONFIG: undefined, TEMPORAL_ADDRESS: undefined, ...env }, cwd);
}

/**
 * The CLI as a thin client: a CI machine that is not the worker has a runway.yml with only the `temporal` section (or
 * just TEMPORAL_ADDRESS), no ssh settings, no artifact. The worker, with the full config, resolves everything; its
 * refusal comes back as one line and exit 2, and no host changes.
 */
describe('the CLI with only a temporal section', () => {
  let w: DeployWorld;
  let ciDir: string;
  beforeAll(async () => {
    w = await startDeployWorld('thin', {
      web: 2,
      lbPort: 18085,
      service: { strategy: 'rolling', ports: 18051, batchSize: 1, healthTimeout: '8s' },
    });
    await w.build('1.0.0');
    await w.build('1.1.0');
    // The artifacts live beside the worker's config only: the CI directory has none, and no ssh key or known_hosts.
    ciDir = mkdtempSync(join(tmpdir(), 'runway-ci-'));
    writeFileSync(
      join(ciDir, 'runway.yml'),
      `temporal:\n  address: ${temporalAddress()}\n  taskQueue: ${w.world.taskQueue}\n  uiUrl: http://localhost:8233\n`,
    );
  });
  afterAll(async () => {
    await w?.stop();
  });

  /** Everything a deploy could change on the hosts: `current`, its release bytes, the upstream, the releases dirs. */
  const hostsSnapshot = () => ({
    state: rollingState(w),
    releases: w.world.sandbox.hosts.map((h) => {
      const dir = join(h.dir, 'app', 'releases');
      return [h.name, existsSync(dir) ? readdirSync(dir).sort() : []];
    }),
    starts: w.world.sandbox.hosts.map((h) => treeDigest(join(h.dir, 'app'))['starts.log']),
  });

  it('runway deploy --wait from that directory deploys, on the worker’s config', async () => {
    expect(readFileSync(join(ciDir, 'runway.yml'), 'utf8')).not.toMatch(/ssh|services|artifact/);
    const checked = await cliIn(ciDir, ['config', 'check']);
    expect(checked.code).toBe(0);
    expect(checked.stdout.trim()).toBe(
      `${join(ciDir, 'runway.yml')}: ok (temporal only: a client's config; hosts and services are in the worker's)`,
    );
    const result = await cliIn(ciDir, ['deploy', 'app', '1.0.0', '-e', 'test', '--wait', '--as', 'ci']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/deploy succeeded/);
    expect(rollingState(w).hosts.map((h) => h.version)).toEqual(['1.0.0', '1.0.0']);
  });

  it('an unknown service: exit 2 with the worker’s one-line message, and no host changed', async () => {
    const before = hostsSnapshot();
    const result = await cliIn(ciDir, ['deploy', 'nope', '1.1.0', '-e', 'test', '--wait']);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual(['runway: input.service: unknown service "nope" (known: app)']);
    expect(result.stdout).toBe('');
    expect(hostsSnapshot()).toEqual(before);
  });

  it('a version the worker has no artifact for: exit 2 naming the worker, without --wait too', async () => {
    const before = hostsSnapshot();
    const result = await cliIn(ciDir, ['deploy', 'app', '9.9.9', '-e', 'test']);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^runway: artifact for 9\.9\.9: .*demo-app-9\.9\.9\.tar\.gz does not exist on the worker$/,
    );
    expect(hostsSnapshot()).toEqual(before);
  });

  it('with no runway.yml at all, TEMPORAL_ADDRESS is enough (and a missing file says so otherwise)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'runway-noconfig-'));
    const missing = await cliIn(empty, ['deploy', 'app', '1.1.0', '-e', 'test']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([
      `runway: ${join(empty, 'runway.yml')}:1:1 (root): file not found (or set TEMPORAL_ADDRESS to reach Temporal without one)`,
    ]);
    const env = { TEMPORAL_ADDRESS: temporalAddress(), RUNWAY_TASK_QUEUE: w.world.taskQueue };
    const deployed = await cliIn(empty, ['deploy', 'app', '1.1.0', '-e', 'test', '--wait'], env);
    expect(deployed.code).toBe(0);
    expect(rollingState(w).hosts.map((h) => h.version)).toEqual(['1.1.0', '1.1.0']);
    const back = await cliIn(empty, ['rollback', 'app', '-e', 'test', '--wait', '--json'], env);
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout).status).toBe('succeeded');
    expect(rollingState(w).hosts.map((h) => h.version)).toEqual(['1.0.0', '1.0.0']);
  });

  it('a namespace without Runway’s search attributes: exit 2 saying how to register them, nothing started', async () => {
    const namespace = `bare-${Math.random().toString(36).slice(2, 8)}`;
    const connection = await Connection.connect({ address: temporalAddress() });
    try {
      execFileSync(ensureTemporal(), [
        'operator',
        'namespace',
        'create',
        '--address',
        temporalAddress(),
        '-n',
        namespace,
      ]);
      const env = { TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_NAMESPACE: namespace };
      const result = await waitFor('the new namespace', async () => {
        const r = await cliIn(ciDir, ['run', 'exec', '--input', '{"environment":"test","command":"true"}'], env);
        return /Namespace .* is not found/.test(r.stderr) ? undefined : r;
      });
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toEqual([
        `runway: namespace ${namespace} lacks Runway's search attributes: start \`runway worker\` once (it registers ` +
          'them), or see its message for the `temporal operator search-attribute create` commands',
      ]);
      const count = await new Client({ connection, namespace }).workflow.count();
      expect(count.count).toBe(0);
    } finally {
      await connection.close();
    }
  });
});
