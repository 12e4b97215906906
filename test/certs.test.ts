import { readFileSync } from 'node:fs';
import type { CertCheckReport } from '../core/certs';
import { desiredSchedules } from '../core/schedules';
import { parseConfig } from '../config';
import { startCertWorld, type CertWorld } from './support/cert-world';
import { runCli } from './support/harness';

/**
 * `runway certs check|status` against real nginx serving TLS on two sandbox load balancers, with certificates from a
 * private CA: a good one, an expired one, one for another name, two different ones behind one entry, one within its
 * renew-before, and an endpoint nobody serves. Each verdict is on the wire, from the worker.
 */
describe('certificates checked on the wire', () => {
  let w: CertWorld;
  beforeAll(async () => {
    w = await startCertWorld('certs');
  });
  afterAll(async () => {
    await w?.stop();
  });

  const cli = (...args: string[]) => runCli(['-c', w.world.configFile, 'certs', ...args]);

  test('a good certificate served on both load balancers passes, with its days left', async () => {
    const result = await cli('check', 'site', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as CertCheckReport;
    const [entry] = report.certificates;
    expect(entry.endpoints.map((e) => e.host)).toEqual(['lb-1', 'lb-2']);
    expect(entry.endpoints.every((e) => e.served?.sans.join(',') === 'site.test,www.site.test')).toBe(true);
    expect(entry.daysLeft).toBeGreaterThan(59);
    expect(entry.daysLeft).toBeLessThanOrEqual(60);
    expect(entry.due).toBe(false);
    const table = await cli('status', 'site');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^site\s+lb-1:\d+\s+59\.\d\s+\S+\s+1000\s+ok$/m);
  });

  test.each([
    ['old', /old: lb-1 \(.*\): expired on 20\d\d-/],
    ['other', /other: lb-1 \(.*\): the certificate does not cover site\.test \(it covers other\.test\)/],
    ['mixed', /mixed: endpoints serve different certificates: lb-1:\d+ serial \w+, lb-2:\d+ serial \w+/],
    ['down', /down: lb-2 \(.*\): cannot connect: ECONNREFUSED/],
  ])('%s fails the check with its reason', async (name, reason) => {
    const result = await cli('check', name);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(reason);
  });

  test('a certificate within its renew-before passes check but fails status', async () => {
    expect((await cli('check', 'soon')).code).toBe(0);
    const status = await cli('status', 'soon');
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^soon\s+lb-2:\d+\s+9\.\d\s+.*due \(renew 30 days before\)$/m);
    expect(status.stderr).toMatch(/soon: 9\.\d days left, renew 30 days before/);
  });

  test('bad input: an unknown certificate or a bad name is one line, exit 2', async () => {
    const unknown = await cli('check', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toMatch(
      /^runway: input\.names: unknown certificate "nope" \(known: down, mixed, old, other, site, soon\)$/,
    );
    const bad = await cli('check', '../etc');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('a certificate with a daily check gets a schedule of its own', () => {
    const { config } = parseConfig(readFileSync(w.world.configFile, 'utf8'), w.world.configFile);
    const schedules = desiredSchedules(config, 'q');
    expect(schedules.map((s) => [s.id, s.workflowType, s.specText])).toEqual([
      ['runway:cert-check:site', 'certCheck', '0 6 * * *'],
    ]);
    expect(schedules[0].input).toEqual({ names: ['site'], actor: 'schedule' });
  });
});
