import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { SshPool } from '../activities';
import { createExec } from '../activities/ssh/exec';
import { loadConfig } from '../config';
import type { RunReport } from '../workflows';
import { buildCommand, quote, raw } from '../core/quote';
import type { HostRef } from '../core/plan';
import { hostRef, runActivity, startWorker, startWorld, type TestWorld } from './support/harness';

const $ = (pieces: TemplateStringsArray, ...values: Parameters<typeof buildCommand>[1]) => buildCommand(pieces, values);

describe('quoting builders', () => {
  it.each([
    ['plain', 'abc', `'abc'`],
    ['empty', '', `''`],
    ['single quote', "it's", `'it'\\''s'`],
    ['command substitution', '$(id)', `'$(id)'`],
    ['backticks', '`id`', "'`id`'"],
    ['newline', 'a\nb', `'a\nb'`],
  ])('quote(%s)', (_name, input, expected) => {
    expect(quote(input)).toBe(expected);
  });

  it('quotes values but leaves literal text alone; arrays become several words; raw() splices', () => {
    const files = ['a b', "c'd"];
    expect($`rm -f ${files} && echo ${3} ${raw('| wc -l')}`).toBe(`rm -f 'a b' 'c'\\''d' && echo '3' | wc -l`);
  });

  it('refuses NUL bytes and values that are not words', () => {
    expect(() => quote('a\0b')).toThrow(/NUL/);
    expect(() => $`echo ${null as unknown as string}`).toThrow(/cannot interpolate null/);
    expect(() => $`echo ${{} as unknown as string}`).toThrow(/cannot interpolate object/);
  });
});

describe('quoting on a real host', () => {
  let world: TestWorld;
  let pool: SshPool;
  let host: HostRef;
  let canary: string;

  beforeAll(async () => {
    world = await startWorld('quote', 1);
    const { config } = loadConfig(world.configFile);
    pool = new SshPool(config.ssh);
    host = hostRef(world, 0, []);
    canary = join(world.sandbox.hosts[0].dir, 'CANARY');
  });
  afterAll(async () => {
    pool?.close();
    await world?.stop();
  });

  /** Runs a command through the real exec activity (journal wrapper, ssh2, sshd), as a workflow's `$` would. */
  async function run(command: string) {
    return runActivity(createExec({ pool, commandTimeoutMs: 30_000 }), { host, command });
  }

  it('printf %s ${s} returns exactly s, for arbitrary strings, and nothing else runs', async () => {
    const attack = fc.constantFrom(
      `$(touch ${canary})`,
      `\`touch ${canary}\``,
      `; touch ${canary}`,
      `'; touch ${canary}; '`,
      `"$(touch ${canary})"`,
      `\ntouch ${canary}\n`,
      `&& touch ${canary} #`,
      `| tee ${canary}`,
      `> ${canary}`,
      `*`,
      `\\'\\"`,
      `$HOME $1 $$ \${IFS}`,
      `héllo wörld ✓ 日本語 🚀`,
    );
    const text = fc.string({ unit: 'binary', maxLength: 24 }).map((s) => s.replace(/\0/g, ''));
    const value = fc.array(fc.oneof(attack, text), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(value, async (s) => {
        const result = await run($`printf %s ${s}`);
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toBe(s);
        expect(existsSync(canary)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('the canary check can fail: literal text is not quoted', async () => {
    await run(`true; touch ${quote(canary)}`);
    expect(existsSync(canary)).toBe(true);
    await run(`rm -f ${quote(canary)}`);
  });

  it('arrays arrive as separate arguments', async () => {
    const result = await run($`printf '<%s>' ${['a b', '', "c'd", '*']}`);
    expect(result.stdout).toBe("<a b><><c'd><*>");
  });
});

describe('quoting through a workflow', () => {
  let world: TestWorld;
  let worker: Awaited<ReturnType<typeof startWorker>>;

  beforeAll(async () => {
    world = await startWorld('quotewf', 1);
    worker = await startWorker(world);
  });
  afterAll(async () => {
    await worker?.stop();
    await world?.stop();
  });

  it('$ in a runbook quotes each value so the host prints it back unchanged', async () => {
    const values = [`it's "quoted"`, '$(id) `id` ${HOME}', 'line1\nline2', '; rm -rf / #', '*', 'ünïcödé ✓'];
    const { client } = await import('./support/client').then((m) => m.clientFor(world));
    const report: RunReport = await client.workflow.execute('quoteEcho', {
      taskQueue: world.taskQueue,
      workflowId: `quote-echo-${Date.now()}`,
      args: [{ environment: 'test', values }],
    });
    const outputs = report.steps.map((step) => Object.values(step.hosts)[0].stdoutTail);
    expect(outputs).toEqual(values);
  });
});
