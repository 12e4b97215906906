import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

interface LintResult {
  filePath: string;
  messages: Array<{ line: number; ruleId: string | null; message: string }>;
}

/** Runs the project's ESLint as a user would (its own process: ESLint loads its config with dynamic import). */
function lint(targets: string[]): LintResult[] {
  const run = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/eslint/bin/eslint.js'), '--format', 'json', ...targets],
    {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as LintResult[];
}

/** Plants a probe file in `folder`, lints it as a user would, removes it; returns `line:rule` of each finding. */
function lintProbe(folder: string, source: string[]): string[] {
  const probe = join(ROOT, folder, '__lint_probe__.ts');
  writeFileSync(probe, [...source, ''].join('\n'));
  try {
    return lint([probe])[0].messages.map((m) => `${m.line}:${m.ruleId}`);
  } finally {
    rmSync(probe, { force: true });
  }
}

/** The lint rules that keep deterministic code deterministic, run for real on the tree and on a planted probe. */
describe('lint', () => {
  it('the whole tree passes (no I/O in core/, workflows/ or runbooks/, no floating promises)', async () => {
    const results = lint(['.']);
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId}: ${m.message}`));
    expect(problems).toEqual([]);
  });

  it('flags Node built-ins, I/O modules, timers, randomness and runtime imports of activities in runbooks/', async () => {
    const lines = lintProbe('runbooks', [
      "import { readFileSync } from 'fs';",
      "import { execSync } from 'node:child_process';",
      "import { Client } from 'ssh2';",
      "import { createActivities } from '../activities';",
      "import type { Activities } from '../activities';",
      'export const probe = (a: Activities) => [readFileSync, execSync, Client, createActivities, a, Math.random(), Date.now()];',
      'export const later = () => setTimeout(() => undefined, 1);',
    ]);
    expect(lines).toEqual(
      expect.arrayContaining([
        '1:@typescript-eslint/no-restricted-imports',
        '2:@typescript-eslint/no-restricted-imports',
        '3:@typescript-eslint/no-restricted-imports',
        '4:@typescript-eslint/no-restricted-imports',
        '6:no-restricted-properties',
        '7:no-restricted-globals',
      ]),
    );
    expect(lines).not.toContain('5:@typescript-eslint/no-restricted-imports');
    expect(lines.filter((l) => l === '6:no-restricted-properties')).toHaveLength(2);
  });

  it('flags I/O, Node built-ins, workflow-only APIs, clocks and runtime imports of other folders in core/', async () => {
    const lines = lintProbe('core', [
      "import { readFileSync } from 'node:fs';",
      "import { sleep } from '@temporalio/workflow';",
      "import { loadConfig } from '../config';",
      "import { Runbook } from '../workflows';",
      "import type { RunwayConfig } from '../config';",
      'export const probe = (c: RunwayConfig) => [readFileSync, sleep, loadConfig, Runbook, c, Date.now(), process.env];',
      'export const later = () => setTimeout(() => undefined, 1);',
    ]);
    expect(lines).toEqual(
      expect.arrayContaining([
        '1:@typescript-eslint/no-restricted-imports',
        '2:@typescript-eslint/no-restricted-imports',
        '3:@typescript-eslint/no-restricted-imports',
        '4:@typescript-eslint/no-restricted-imports',
        '6:no-restricted-properties',
        '6:no-restricted-globals',
        '7:no-restricted-globals',
      ]),
    );
    expect(lines).not.toContain('5:@typescript-eslint/no-restricted-imports');
  });

  it('the tree is formatted with Prettier (printWidth 120, single quotes)', () => {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/prettier/bin/prettier.cjs'), '--check', '**/*.ts'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(run.stdout + run.stderr).toContain('All matched files use Prettier code style!');
    expect(run.status).toBe(0);
  });
});
