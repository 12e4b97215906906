import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { startLoad } from '../sandbox/load';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { blueGreenState } from './support/host-state';

/** Blue-green deploys of the demo app on real hosts behind real nginx. */
describe('blue-green deploy', () => {
  let w: DeployWorld;
  beforeAll(async () => {
    w = await startDeployWorld('bluegreen', {
      web: 2,
      service: { strategy: 'blue-green', ports: { blue: 18001, green: 18002 } },
    });
  });
  afterAll(async () => {
    await w?.stop();
  });

  const deploy = async (version: string) => {
    await w.build(version);
    return w.runway.wait(await w.runway.start('deploy', { environment: 'test', service: 'app', version, actor: 'ci' }));
  };
  const served = async () => (await (await fetch(w.nginx.url)).text()).trim();

  it('a first deploy starts the blue slot and sends traffic to it', async () => {
    await w.build('1.0.0');
    const handle = await w.runway.start('deploy', {
      environment: 'test',
      service: 'app',
      version: '1.0.0',
      actor: 'ci',
    });
    const outcome = await w.runway.wait(handle);
    expect(outcome.message).toBe('deploy succeeded');
    // The Web UI's words: the run's summary, its current details, and a summary on every activity naming step and host.
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe('deploy app 1.0.0 → test · by ci');
    const metadata = await handle.query(workflowMetadataQuery);
    expect(metadata.currentDetails).toBe('**succeeded**');
    const { events } = await handle.fetchHistory();
    const scheduled = (events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
    const summaries = scheduled.map((e) => {
      const payload = e.userMetadata?.summary;
      return `${e.activityTaskScheduledEventAttributes!.activityType!.name}: ${payload ? defaultPayloadConverter.fromPayload(payload) : '(none)'}`;
    });
    expect(summaries.filter((s) => s.endsWith('(none)'))).toEqual([]);
    expect(summaries).toEqual(
      expect.arrayContaining([
        'resolvePlan: plan deploy from runway.yml',
        expect.stringMatching(/^sshUpload: upload .*\/\.1\.0\.0\.tar\.gz · web-1$/),
        'sshExec: read state · lb-1',
        expect.stringMatching(/^httpProbe: health http:/),
        'audit: audit line: succeeded',
      ]),
    );
    expect(outcome.exitCode).toBe(0);
    expect(await served()).toBe('version=1.0.0');
    const dir = join(w.world.sandbox.hosts[0].dir, 'app');
    expect(readFileSync(join(dir, 'live'), 'utf8')).toBe('blue');
    expect(readlinkSync(join(dir, 'slots', 'blue'))).toBe('../releases/1.0.0');
    expect(readFileSync(join(dir, 'releases', '1.0.0', 'runway.env'), 'utf8')).toBe('GREETING=hello\n');
  });

  it('five deploys in a row under continuous traffic: no failed request, one version change per deploy', async () => {
    const load = startLoad(w.nginx.url, { concurrency: 6 });
    const versions = ['1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0'];
    for (const version of versions) expect((await deploy(version)).exitCode).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    const report = await load.stop();
    expect(report.errors).toEqual([]);
    expect(report.failures).toBe(0);
    expect(report.versions).toEqual(['1.0.0', ...versions]);
    expect(report.total).toBeGreaterThan(100);
  });

  it('keeps the newest releases (5 by default), never the live or the previous one', async () => {
    for (const host of w.world.sandbox.hosts.filter((h) => h.name.startsWith('web'))) {
      const releases = readdirSync(join(host.dir, 'app', 'releases')).sort();
      expect(releases).toEqual(['1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0']);
    }
  });
});

describe('blue-green rollback and atomicity', () => {
  let w: DeployWorld;
  beforeAll(async () => {
    w = await startDeployWorld('bgatomic', {
      web: 2,
      lbPort: 18081,
      service: { strategy: 'blue-green', ports: { blue: 18011, green: 18012 } },
    });
  });
  afterAll(async () => {
    await w?.stop();
  });

  const start = (runbook: string, input: Record<string, unknown>) =>
    w.runway.start(runbook, { environment: 'test', service: 'app', actor: 'ci', ...input });
  const deploy = async (version: string, opts: { failHealth?: boolean } = {}) => {
    await w.build(version, opts);
    return w.runway.wait(await start('deploy', { version }));
  };

  it('deploy A, deploy B, roll back: release, settings and upstream are byte for byte those of A', async () => {
    expect((await deploy('2.0.0')).exitCode).toBe(0);
    const a = blueGreenState(w);
    expect((await deploy('2.1.0')).exitCode).toBe(0);
    expect(blueGreenState(w)).not.toEqual(a);
    const rolledBack = await w.runway.wait(await start('rollback', {}));
    expect(rolledBack.exitCode).toBe(0);
    expect(rolledBack.report?.labels.version).toBe('2.0.0');
    expect(blueGreenState(w)).toEqual(a);
    expect((await (await fetch(w.nginx.url)).text()).trim()).toBe('version=2.0.0');
  });

  it('rolls back to a named release still on the hosts; refuses one that is not', async () => {
    expect((await deploy('2.2.0')).exitCode).toBe(0);
    const named = await w.runway.wait(await start('rollback', { to: '2.1.0' }));
    expect(named.exitCode).toBe(0);
    expect((await (await fetch(w.nginx.url)).text()).trim()).toBe('version=2.1.0');
    const before = blueGreenState(w);
    // Refused by the run's first look at the hosts: start() says so when the refusal beats its verdict, else the run
    // ends invalid (exit 2) — the same words either way.
    const refusal = await start('rollback', { to: '9.9.9' }).then(
      async (handle) => {
        const missing = await w.runway.wait(handle);
        expect(missing.exitCode).toBe(2);
        return missing.message;
      },
      (err: Error) => {
        expect(err.name).toBe('InputError');
        return err.message;
      },
    );
    expect(refusal).toContain('release 9.9.9 is not on web-1, web-2');
    expect(blueGreenState(w)).toEqual(before);
  });
});
