import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const OPS = join(__dirname, '..', 'ops');
const yaml = (file: string) => parse(readFileSync(join(OPS, file), 'utf8'));

interface RuleTest {
  name: string;
  input_series: Array<{ series: string }>;
  alert_rule_test: Array<{ alertname: string; exp_alerts: Array<{ exp_labels: Record<string, string> }> }>;
}

/**
 * The alert rules and scrape config in ops/, checked by promtool (Debian's `prometheus` package): the rules parse, the
 * config loads them, and every alert has a unit test in which it fires on some series and stays silent on others.
 */
describe('ops/: Prometheus rules and config', () => {
  const promtool = (args: string[]) => spawnSync('promtool', args, { cwd: OPS, encoding: 'utf8' });

  test('promtool check rules and check config accept them', () => {
    const rules = promtool(['check', 'rules', 'alerts.yml']);
    expect([rules.status, rules.stdout]).toEqual([0, expect.stringMatching(/SUCCESS: 11 rules found/)]);
    const config = promtool(['check', 'config', '--syntax-only', 'prometheus.yml']);
    expect([config.status, config.stderr]).toEqual([0, '']);
  });

  test('promtool test rules: every alert fires where it should and nowhere else', () => {
    const run = promtool(['test', 'rules', 'alerts.test.yml']);
    expect([run.status, run.stdout.trim()]).toEqual([0, expect.stringMatching(/SUCCESS$/)]);
  });

  test('every alert has a unit test with a series that fires it and one that does not', () => {
    const alerts: string[] = yaml('alerts.yml').groups.flatMap((g: { rules: Array<{ alert: string }> }) =>
      g.rules.map((r) => r.alert),
    );
    const tests: RuleTest[] = yaml('alerts.test.yml').tests;
    for (const alert of alerts) {
      const covering = tests.filter((t) => t.alert_rule_test.some((a) => a.alertname === alert && a.exp_alerts.length));
      expect([alert, covering.length]).toEqual([alert, expect.any(Number)]);
      expect(covering.length).toBeGreaterThan(0);
      // Some input series carries a label value that no expected alert of this rule has: the silent case.
      const expected = covering.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.alertname === alert).flatMap((a) => a.exp_alerts.map((e) => e.exp_labels)),
      );
      const values = new Set(expected.flatMap((labels) => Object.values(labels)));
      const silent = covering
        .flatMap((t) => t.input_series.map((s) => s.series))
        .filter((series) => [...series.matchAll(/="([^"]*)"/g)].some(([, v]) => v && !values.has(v) && v !== 'runway'));
      expect([alert, silent.length > 0]).toEqual([alert, true]);
    }
  });

  test('a broken expectation makes promtool test rules fail (the tests can fail)', () => {
    const broken = readFileSync(join(OPS, 'alerts.test.yml'), 'utf8').replace('set: old }', 'set: fresh }');
    const dir = mkdtempSync(join(tmpdir(), 'runway-alerts-'));
    copyFileSync(join(OPS, 'alerts.yml'), join(dir, 'alerts.yml'));
    writeFileSync(join(dir, 'alerts.test.yml'), broken);
    const run = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: dir, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect([run.status, run.stderr]).toEqual([
      1,
      expect.stringMatching(/FAILED[\s\S]*alertname: RunwayBackupNotVerified/),
    ]);
  });
});
