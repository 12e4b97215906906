import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertRenewInputSchema } from '../config/inputs';
import { parseConfig } from '../config';
import { renewalDecision, type CertificateReport } from '../core/certs';
import { desiredSchedules, RENEW_STAGGER_MS } from '../core/schedules';
import {
  backupScript,
  discardRunFilesScript,
  installScript,
  keepPreviousScript,
  placeChallengesScript,
  preflightScript,
  removeChallengesScript,
  restoreScript,
} from '../runbooks/certs/scripts';

/**
 * The certificate scripts run by `sh` on a scratch dir (what ssh would run on a host): preflight refusals, a backup
 * and install that replace the files with one rename each (key 0600, the certificate's mode kept), a restore that
 * puts the exact bytes back (and removes a file that was not there), and the pure pieces around them: renewal
 * decisions and staggered renew schedules.
 */
describe('certificate scripts', () => {
  let dir: string;
  const sh = (script: string) => spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  const files = () => ({ certificate: join(dir, 'tls', 'site.crt'), key: join(dir, 'tls', 'site.key') });
  const stage = (id: string, cert: string, key: string) => {
    writeFileSync(`${files().certificate}.runway-new.${id}`, cert, { mode: 0o644 });
    writeFileSync(`${files().key}.runway-new.${id}`, key, { mode: 0o600 });
  };
  const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runway-cert-scripts-'));
    mkdirSync(join(dir, 'tls'));
    writeFileSync(files().certificate, 'old cert\n', { mode: 0o640 });
    writeFileSync(files().key, 'old key\n', { mode: 0o600 });
    chmodSync(files().certificate, 0o640);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('preflight prints each file and refuses a missing directory or a failing test command', () => {
    const ok = sh(preflightScript(files(), 'true'));
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(
      `@file ${execFileSync('sha256sum', [files().certificate]).toString().slice(0, 64)} ${files().certificate}`,
    );
    const missing = sh(preflightScript({ ...files(), chain: join(dir, 'nope', 'chain.pem') }, 'true'));
    expect([missing.status, missing.stderr.trim()]).toEqual([
      3,
      `runway: ${join(dir, 'nope')} does not exist (the directory of ${join(dir, 'nope', 'chain.pem')})`,
    ]);
    const failing = sh(preflightScript(files(), 'echo "emerg: bad config" >&2; exit 1'));
    expect([failing.status, failing.stderr.trim()]).toEqual([
      3,
      'runway: the test command fails before any change: emerg: bad config',
    ]);
  });

  test('install replaces both files with one rename each; restore puts the same bytes and modes back', () => {
    stage('r1', 'new cert\n', 'new key\n');
    expect(sh(backupScript(files(), 'r1')).status).toBe(0);
    const installed = sh(installScript(files(), 'r1'));
    expect([installed.status, installed.stderr]).toEqual([0, '']);
    expect(readFileSync(files().certificate, 'utf8')).toBe('new cert\n');
    expect(readFileSync(files().key, 'utf8')).toBe('new key\n');
    expect([mode(files().certificate), mode(files().key)]).toEqual(['640', '600']);
    // Run again (a retry of the same run): nothing staged is left, the backups say it is done.
    expect(sh(installScript(files(), 'r1')).status).toBe(0);
    // A second backup of the same run keeps the first one: the files from before the install.
    expect(sh(backupScript(files(), 'r1')).status).toBe(0);
    expect(readFileSync(`${files().certificate}.runway-old.r1`, 'utf8')).toBe('old cert\n');

    const restored = sh(restoreScript(files(), 'r1', 'true', 'true'));
    expect([restored.status, restored.stderr]).toEqual([0, '']);
    expect(readFileSync(files().certificate, 'utf8')).toBe('old cert\n');
    expect(readFileSync(files().key, 'utf8')).toBe('old key\n');
    expect([mode(files().certificate), mode(files().key)]).toEqual(['640', '600']);
  });

  test('a restore whose test command fails says so and exits non-zero', () => {
    stage('r2', 'new cert\n', 'new key\n');
    sh(backupScript(files(), 'r2'));
    sh(installScript(files(), 'r2'));
    const failed = sh(restoreScript(files(), 'r2', 'echo broken >&2; false', 'true'));
    expect([failed.status, failed.stderr.trim()]).toEqual([
      1,
      'runway: the test command fails with the old files put back: broken',
    ]);
    expect(readFileSync(files().key, 'utf8')).toBe('old key\n');
  });

  test('a file that was not there before is removed by the restore; after success the backup is kept as previous', () => {
    rmSync(files().key);
    stage('r3', 'new cert\n', 'new key\n');
    sh(backupScript(files(), 'r3'));
    expect(existsSync(`${files().key}.runway-absent.r3`)).toBe(true);
    sh(installScript(files(), 'r3'));
    sh(restoreScript(files(), 'r3', 'true', 'true'));
    expect(existsSync(files().key)).toBe(false);
    expect(sh(discardRunFilesScript(files(), 'r3', true)).status).toBe(0);

    stage('r4', 'newer cert\n', 'newer key\n');
    sh(backupScript(files(), 'r4'));
    sh(installScript(files(), 'r4'));
    expect(sh(keepPreviousScript(files(), 'r4')).status).toBe(0);
    expect(readFileSync(`${files().certificate}.runway-previous`, 'utf8')).toBe('old cert\n');
    expect(readdirSync(join(dir, 'tls')).filter((f) => /runway-(new|old|tmp)/.test(f))).toEqual([]);
  });

  test('challenge files are written readable and removed; a token that is not base64url is refused', () => {
    const webroot = join(dir, 'www');
    mkdirSync(webroot);
    const token = 'A'.repeat(20) + '_-x';
    expect(sh(placeChallengesScript(webroot, [{ token, keyAuthorization: `${token}.thumb` }])).status).toBe(0);
    const file = join(webroot, '.well-known', 'acme-challenge', token);
    expect([readFileSync(file, 'utf8'), mode(file)]).toEqual([`${token}.thumb`, '644']);
    expect(sh(removeChallengesScript(webroot, [token])).status).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(() =>
      placeChallengesScript(webroot, [{ token: '../../etc/passwd-xxxxxxxxxx', keyAuthorization: 'x' }]),
    ).toThrow(/not an ACME token/);
  });
});

describe('renewal decisions and schedules', () => {
  const judged = (over: Partial<CertificateReport>): CertificateReport => ({
    name: 'site',
    environment: 'prod',
    domains: ['example.com'],
    endpoints: [],
    daysLeft: 50,
    renewBeforeDays: 30,
    due: false,
    problems: [],
    ...over,
  });
  const now = '2026-12-01T00:00:00.000Z';

  test.each([
    ['not due', judged({}), undefined, false, false, /^not due: 50 days left, renew 30 days before$/],
    ['inside renew-before', judged({ due: true, daysLeft: 20 }), undefined, false, true, /^20 days left, renew 30/],
    ['forced', judged({}), undefined, true, true, /^forced \(50 days left\)$/],
    ['a problem served', judged({ problems: ['site: expired'] }), undefined, false, true, /^site: expired$/],
    [
      "inside the CA's window",
      judged({}),
      { start: '2026-11-30T00:00:00Z', end: '2026-12-02T00:00:00Z' },
      false,
      true,
      /^inside the CA's renewal window/,
    ],
    [
      "before the CA's window",
      judged({}),
      { start: '2026-12-20T00:00:00Z', end: '2026-12-22T00:00:00Z' },
      false,
      false,
      /renewal window opens 2026-12-20/,
    ],
  ])('%s', (_name, report, window, force, due, why) => {
    const decision = renewalDecision(report, window, now, force);
    expect(decision.due).toBe(due);
    expect(decision.why).toMatch(why);
  });

  test('renew schedules of several certificates start staggered, with inputs certRenew accepts', () => {
    const entry = (port: number, name: string) => [
      '    environment: prod',
      '    domains: [example.com]',
      `    endpoints: [{ host: lb-1, port: ${port} }]`,
      '    acme: { directory: "https://acme.example/dir", accountKey: { env: K },',
      '      challenge: { http01: { host: lb-1, webroot: /var/www } } }',
      `    install: { host: lb-1, certificate: /etc/${name}.crt, key: /etc/${name}.key, test: "nginx -t", reload: "nginx -s reload" }`,
      '    schedule: { check: "0 5 * * *", renew: "0 6 * * *" }',
    ];
    const text = [
      'ssh: { user: deploy, key: { file: /k }, knownHosts: /kh }',
      'environments:',
      '  prod:',
      '    hosts: { lb-1: { address: 10.0.0.1 } }',
      'certificates:',
      '  a:',
      ...entry(443, 'a'),
      '  b:',
      ...entry(8443, 'b'),
      '',
    ].join('\n');
    const { config } = parseConfig(text, '/cfg/runway.yml');
    const renewals = desiredSchedules(config, 'q').filter((s) => s.workflowType === 'certRenew');
    expect(renewals.map((s) => [s.id, s.specText, s.input])).toEqual([
      ['runway:cert-renew:a', '0 6 * * *', { certificate: 'a', actor: 'schedule' }],
      [
        'runway:cert-renew:b',
        '0 6 * * *',
        { certificate: 'b', actor: 'schedule', delay: `${RENEW_STAGGER_MS / 1000}s` },
      ],
    ]);
    for (const s of renewals) expect(CertRenewInputSchema.safeParse(s.input).success).toBe(true);
  });
});
