import { Client, Connection } from '@temporalio/client';
import { runCli, temporalAddress, useLiveWorld, waitFor } from './support/harness';

/** The `runway` CLI as CI uses it: real process, real worker, real hosts; exit codes as in DESIGN.md. */
describe('runway CLI', () => {
  const live = useLiveWorld('cli', 2, { names: ['web-1', 'web-2'] });
  const cli = (...args: string[]) => runCli(['-c', live.world.configFile, ...args]);

  it('exec runs a command line on a role, prints each host, progress lines and the run link; exit 0', async () => {
    const result = await cli('exec', '-e', 'test', '-r', 'web', '-b', '1', '--', 'echo', 'hi from $RUNWAY_HOST');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('step "batch 1/2" web-1 ✓');
    expect(result.stdout).toContain('── web-1 (succeeded, exit 0)\nhi from web-1');
    expect(result.stdout).toContain('── web-2 (succeeded, exit 0)\nhi from web-2');
    expect(result.stdout).toMatch(/run: http:\/\/localhost:8233\/namespaces\/default\/workflows\/exec%3Atest%3A\w+/);
  });

  it('a command that fails exits 1 and shows its stderr', async () => {
    const result = await cli('exec', '-e', 'test', '-H', 'web-2', '--', 'echo oops >&2; exit 5');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('stderr: oops');
    expect(result.stderr).toContain('web-2: exited 5 (oops)');
  });

  it('run starts without waiting; follow and status report it; --json gives the report', async () => {
    const input = { environment: 'test', hosts: ['web-1'], command: 'sleep 1; echo done' };
    const started = await cli('run', 'exec', '--input', JSON.stringify(input), '--id', 'cli-run-1');
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('started cli-run-1');
    const followed = await cli('follow', 'cli-run-1');
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain('run succeeded');
    const status = await cli('status', 'cli-run-1', '--json');
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout);
    expect(parsed.report.status).toBe('succeeded');
    expect(parsed.report.steps[0].hosts['web-1'].stdoutTail).toBe('done\n');
  });

  it('runs lists past runs from visibility, filtered, with actor, outcome and duration; bad filters exit 2', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const ok = await cli('exec', '-e', 'test', '-H', 'web-1', '--as', 'alice', '--', 'true');
    const bad = await cli('exec', '-e', 'test', '-H', 'web-1', '--as', 'bob', '--', 'false');
    expect([ok.code, bad.code]).toEqual([0, 1]);
    const idOf = (out: string) => /workflows\/(exec%3Atest%3A\w+)/.exec(out)![1].replace(/%3A/g, ':');
    const [okId, badId] = [idOf(ok.stdout), idOf(bad.stdout)];
    type Row = {
      workflowId: string;
      runbook: string;
      status: string;
      actor?: string;
      startedAt: string;
      durationMs?: number;
    };
    const rows = async (...filters: string[]) => {
      const listed = await cli('runs', '--json', ...filters);
      expect(listed.code).toBe(0);
      return JSON.parse(listed.stdout) as Row[];
    };
    const failed = await waitFor('both runs in visibility', async () => {
      const found = await rows('--runbook', 'exec', '--status', 'failed', '--since', since);
      return found.some((r) => r.workflowId === badId) && found;
    });
    expect(failed.every((r) => r.runbook === 'exec' && r.status === 'failed' && r.startedAt >= since)).toBe(true);
    expect(failed.map((r) => r.workflowId)).not.toContain(okId);
    expect(failed.find((r) => r.workflowId === badId)).toMatchObject({ actor: 'bob', durationMs: expect.any(Number) });
    const all = await rows('-e', 'test', '--since', since);
    expect(all.find((r) => r.workflowId === okId)).toMatchObject({ actor: 'alice', status: 'succeeded' });

    const text = await cli('runs', '--runbook', 'exec', '--since', '10m', '-n', '5');
    expect(text.stdout.split('\n')[0]).toMatch(
      /^STARTED\s+RUNBOOK\s+SERVICE\s+VERSION\s+ENVIRONMENT\s+ACTOR\s+OUTCOME\s+DURATION\s+ID$/,
    );
    expect(text.stdout).toMatch(new RegExp(`exec\\s+—\\s+—\\s+test\\s+bob\\s+failed\\s+[\\d.]+m?s\\s+${badId}`));
    for (const args of [
      ['--since', 'yesterday'],
      ['--status', 'a"b'],
      ['-n', '0'],
    ]) {
      const refused = await cli('runs', ...args);
      expect([refused.code, refused.stderr.trim().split('\n').length]).toEqual([2, 1]);
    }
  });

  it('cancel --wait rolls a run back and exits 4', async () => {
    const input = {
      environment: 'test',
      hosts: ['web-1'],
      steps: [
        { name: 'one', run: 'true', undo: 'true' },
        { name: 'long', run: 'sleep 60' },
      ],
    };
    await cli('run', 'steps', '--input', JSON.stringify(input), '--id', 'cli-cancel-1');
    await waitFor(
      'step "long" to run',
      async () => (await live.runway.progress(live.runway.handle('cli-cancel-1')))?.steps[1]?.status === 'running',
    );
    const result = await cli('cancel', 'cli-cancel-1', '--wait');
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('cancelled');
    const status = await cli('status', 'cli-cancel-1');
    expect(status.code).toBe(4);
    expect(status.stdout).toContain('↩ one');
  });

  it('an unknown run id, bad JSON and an unknown runbook exit 2 with one clear line', async () => {
    const unknown = await cli('status', 'no-such-run');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    const badJson = await cli('run', 'exec', '--input', '{nope');
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/^runway: --input: not valid JSON/);
    const badRunbook = await cli('run', 'deploy-everything', '--input', '{}');
    expect(badRunbook.code).toBe(2);
    expect(badRunbook.stderr).toContain(
      'unknown runbook "deploy-everything" (known: backup, backupStatus, backupVerify, certCheck, certRenew, deploy, deployBlueGreen, deployRolling, drDrill, exec, rollback, steps)',
    );
  });

  it('an unreachable Temporal exits 2 (nothing started) and names the address', async () => {
    const result = await runCli(['-c', live.world.configFile, 'exec', '-e', 'test', '--', 'true'], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^runway: cannot reach Temporal at 127\.0\.0\.1:1: /);
  });

  it('runs are findable by their search attributes', async () => {
    const result = await cli('exec', '-e', 'test', '-H', 'web-1', '--json', '--', 'true');
    const { report } = JSON.parse(result.stdout);
    const connection = await Connection.connect({ address: temporalAddress() });
    try {
      const client = new Client({ connection });
      const query = `RunwayRunbook="exec" AND RunwayEnvironment="test" AND RunwayStatus="succeeded" AND WorkflowId="${report.workflowId}"`;
      const found = await waitFor('the run in visibility', async () => {
        const ids: string[] = [];
        for await (const run of client.workflow.list({ query })) ids.push(run.workflowId);
        return ids.length > 0 ? ids : undefined;
      });
      expect(found).toEqual([report.workflowId]);
    } finally {
      await connection.close();
    }
  });
});
