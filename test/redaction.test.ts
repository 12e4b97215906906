import { ApplicationFailure } from '@temporalio/common';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, parseConfig, redactDeep, redactSecrets, resolveSecret, SecretRefSchema } from '../config';
import { buildPlan } from '../activities/plan';
import { redactError, rememberConfiguredSecrets, secretRefsOf } from '../activities/redact';

const dir = mkdtempSync(join(tmpdir(), 'runway-redaction-'));

/** Secret references from a command, and what the worker does with every value it resolves: redact it. */
describe('secret sources and redaction', () => {
  it('a { command } reference is the command’s standard output, one trailing newline dropped', () => {
    expect(resolveSecret({ command: "printf 'cmd-value-1\\n'" }, 'services.api.secrets.X').reveal()).toBe(
      'cmd-value-1',
    );
    expect(SecretRefSchema.parse({ command: 'pass show api/db' })).toEqual({ command: 'pass show api/db' });
  });

  it.each([
    [{ command: 'echo oops >&2; exit 4' }, 'x: command "echo oops >&2; exit 4" exited 4: oops'],
    [{ command: 'true' }, 'x: command "true" is empty'],
    [{ command: 'exec /nonexistent/vault' }, 'x: command "exec /nonexistent/vault" exited 127'],
  ])('a command that fails says so, naming the reference: %j', (ref, message) => {
    expect(() => resolveSecret(ref, 'x')).toThrow(message);
  });

  it('a literal string is refused by the schema with what to write instead', () => {
    const r = SecretRefSchema.safeParse('hunter2');
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toMatch(/references, not values/);
  });

  it('every value resolved is redacted from text, nested results and errors', () => {
    resolveSecret({ command: 'echo redact-me-please' }, 'x');
    expect(redactSecrets('token=redact-me-please; again redact-me-please.')).toBe(
      'token=[REDACTED]; again [REDACTED].',
    );
    expect(redactDeep({ a: ['redact-me-please'], b: { c: 'x redact-me-please' }, n: 3 })).toEqual({
      a: ['[REDACTED]'],
      b: { c: 'x [REDACTED]' },
      n: 3,
    });
    const failure = ApplicationFailure.create({
      message: 'exit 1: redact-me-please',
      type: 'CommandFailed',
      nonRetryable: true,
      cause: new Error('cause: redact-me-please'),
    });
    const redacted = redactError(failure);
    expect(redacted).toBe(failure);
    expect([redacted.message, redacted.stack, (redacted.cause as Error).message].join('\n')).not.toContain(
      'redact-me-please',
    );
    expect(redacted.type).toBe('CommandFailed');
    expect(redacted.nonRetryable).toBe(true);
  });

  it('a tail cut inside a secret has the visible end redacted; a whole text is not guessed at', () => {
    resolveSecret({ command: 'echo abcdefgh-secret-tail' }, 'x');
    expect(redactSecrets('gh-secret-tail and more', [], true)).toBe('[REDACTED] and more');
    expect(redactSecrets('gh-secret-tail and more', [], false)).toBe('gh-secret-tail and more');
    // Fewer than four characters of it are not worth hiding (and would hide innocent words).
    expect(redactSecrets('ail and more', [], true)).toBe('ail and more');
  });

  it('a multi-line secret (a PEM key) is redacted line by line too', () => {
    const file = join(dir, 'key.pem');
    writeFileSync(file, '-----BEGIN KEY-----\nMIIBfirstlineofkeymaterial\nMIIBsecondline\n-----END KEY-----\n');
    resolveSecret({ file }, 'x');
    expect(redactSecrets('tail: MIIBsecondline\n-----END KEY-----')).toBe('tail: [REDACTED]\n[REDACTED]');
  });

  it('a worker resolves every configured reference at start, and lists the ones it cannot', () => {
    const tokenFile = join(dir, 'slack-token');
    writeFileSync(tokenFile, 'xoxb-configured-token');
    process.env.RUNWAY_TEST_REDACT_DB = 'postgres://app:configured-db-pass@db/app';
    const { config } = parseConfig(
      [
        'temporal: { address: embedded }',
        'ssh: { user: deploy, knownHosts: kh, agent: true }',
        'environments: { prod: { hosts: { web-1: { address: 10.0.0.1, roles: [web] } } } }',
        'services:',
        '  api:',
        '    strategy: rolling',
        '    roles: [web]',
        '    dir: /srv/api',
        '    artifact: { file: a.tgz }',
        '    start: "true"',
        '    stop: "true"',
        '    health: { command: "true" }',
        '    port: 8080',
        '    secrets: { DB_URL: { env: RUNWAY_TEST_REDACT_DB }, MISSING: { env: RUNWAY_TEST_REDACT_UNSET } }',
        `notify: { slack: { channel: "#ops", token: { file: ${JSON.stringify(tokenFile)} } } }`,
      ].join('\n'),
      join(dir, 'runway.yml'),
    );
    expect(secretRefsOf(config).map((r) => r.where)).toEqual([
      'notify.slack.token',
      'services.api.secrets.DB_URL',
      'services.api.secrets.MISSING',
    ]);
    expect(rememberConfiguredSecrets(config)).toEqual({ resolved: 2, unresolved: ['services.api.secrets.MISSING'] });
    expect(redactSecrets('db postgres://app:configured-db-pass@db/app slack xoxb-configured-token')).toBe(
      'db [REDACTED] slack [REDACTED]',
    );
  });
});

/** Names a caller types are looked up as the config's own entries only: `constructor` is no environment. */
describe('plan lookups of names a caller types', () => {
  const loaded = parseConfig(
    [
      'temporal: { address: embedded }',
      'ssh: { user: deploy, knownHosts: kh, agent: true }',
      'environments: { prod: { hosts: { web-1: { address: 10.0.0.1, roles: [web] } } } }',
    ].join('\n'),
    join(dir, 'runway.yml'),
  );
  it.each([
    ['exec', { environment: 'constructor', role: 'web', command: 'true' }, 'unknown environment "constructor"'],
    ['exec', { environment: 'toString', role: 'web', command: 'true' }, 'unknown environment "toString"'],
    ['deploy', { environment: 'prod', service: 'constructor', version: '1' }, 'unknown service "constructor"'],
    ['backup', { set: 'valueOf' }, 'unknown backup set "valueOf"'],
    ['backup', { set: '__proto__' }, 'input.set: expected a name'],
    ['drDrill', { drill: 'hasOwnProperty' }, 'unknown drill "hasOwnProperty"'],
    ['certRenew', { certificate: 'constructor' }, 'unknown certificate "constructor"'],
  ])('%s %j is refused as invalid input', (runbook, input, message) => {
    let thrown: unknown;
    try {
      buildPlan(loaded, runbook, input);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as Error).message).toContain(message);
  });
});
