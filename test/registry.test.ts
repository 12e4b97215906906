import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as shipped from '../runbooks';
import { INPUT_SCHEMAS, parseRunInput, RUNBOOKS } from '../runbooks/registry';
import { runCli } from './support/harness';

/** One registry of runbooks: the worker's workflows, the input schemas, `runway runbooks` and `run --help` agree. */
describe('the runbook registry', () => {
  it('lists every runbook the worker loads, each with a one-line description and an input schema', () => {
    expect(RUNBOOKS.map((r) => r.type).sort()).toEqual([
      'backup',
      'backupStatus',
      'backupVerify',
      'certCheck',
      'certRenew',
      'deploy',
      'deployBlueGreen',
      'deployRolling',
      'drDrill',
      'exec',
      'rollback',
      'steps',
    ]);
    for (const r of RUNBOOKS) {
      expect(typeof (shipped as Record<string, unknown>)[r.type]).toBe('function');
      expect(r.description).toMatch(/^[a-z].{10,100}$/);
      expect(r.description).not.toContain('\n');
      expect(INPUT_SCHEMAS[r.type]).toBe(r.input);
    }
  });

  it('leaves internal workflows out: they are loaded by the worker but cannot be started by a caller', () => {
    expect(Object.keys(shipped)).toContain('deliverNotifications');
    expect(RUNBOOKS.map((r) => r.type)).not.toContain('deliverNotifications');
    expect(() => parseRunInput('deliverNotifications', {})).toThrow(/unknown runbook "deliverNotifications"/);
  });

  it('validates an input with the runbook’s own schema', () => {
    expect(parseRunInput('exec', { environment: 'prod', command: 'uptime', timeout: '2m' })).toEqual({
      environment: 'prod',
      command: 'uptime',
      batchSize: '100%',
      timeoutMs: 120_000,
    });
    expect(() => parseRunInput('rollback', { environment: 'prod' })).toThrow(/^input\.service: missing required key$/);
  });

  it('`runway runbooks` and `runway run --help` print the registry, one line each', async () => {
    const listed = await runCli(['runbooks']);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(RUNBOOKS.map((r) => r.type));
    expect(lines.map((l) => l.replace(/^\S+\s+/, ''))).toEqual(RUNBOOKS.map((r) => r.description));
    const json = await runCli(['runbooks', '--json']);
    const parsed = JSON.parse(json.stdout) as Array<{ type: string; input: { properties: Record<string, unknown> } }>;
    expect(parsed.find((r) => r.type === 'deploy')?.input.properties).toHaveProperty('version');
    const help = await runCli(['run', '--help']);
    for (const r of RUNBOOKS) expect(help.stdout).toContain(`${r.type.padEnd(16)} ${r.description}`);
  });

  it('the CLI refuses a bad runbook or input before it reads any config or reaches Temporal', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'runway-noconfig-'));
    const env = { RUNWAY_CONFIG: undefined, TEMPORAL_ADDRESS: undefined };
    const unknown = await runCli(['run', 'nope', '--input', '{}'], env, empty);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toEqual([
      `runway: unknown runbook "nope" (known: ${RUNBOOKS.map((r) => r.type).join(', ')})`,
    ]);
    const version = await runCli(['deploy', 'app', '1.0;touch x', '-e', 'prod'], env, empty);
    expect(version.code).toBe(2);
    expect(version.stderr).toMatch(/^runway: input\.version: expected a version of letters/);
    expect(version.stderr.trim().split('\n')).toHaveLength(1);
  });
});
