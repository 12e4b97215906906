import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { BackupStatusReport } from '../core/backup-status';
import type { DrillRecord } from '../core/drills';
import type { Manifest } from '../runbooks/backup/manifest';
import { startBackupWorld, SEED, STRICT_SET, type BackupWorld } from './support/backup-world';
import { runCli, temporalAddress, waitFor } from './support/harness';
import { startSlackServer, type SlackServer } from './support/slack-server';

const KEY = 'correct horse battery staple 4711';
const WRONG_KEY = 'incorrect donkey battery staple 0815';

const manifests = (dir: string): Manifest[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.manifest.json'))
        .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Manifest)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    : [];
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** Every file of a copies dir with its sha256: what "no copy touched" compares. */
const snapshot = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .map((f) => `${f} ${sha256(join(dir, f))}`)
        .sort()
    : [];
const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => (socket.destroy(), resolve(false)));
    socket.on('error', () => resolve(true));
  });

/**
 * Backups on real parts: sshd hosts, the jest run's PostgreSQL cluster, the worker's activities. A copy is taken,
 * restore-tested in a scratch database and drilled into a DR database with measured RTO/RPO; damaged copies, failing
 * checks, broken apps, wrong keys and bad input each fail with their reason and leave nothing behind.
 */
describe('backups, restore tests and DR drills', () => {
  let w: BackupWorld;
  const dir = () => join(w.dbHostDir, 'backups', 'app-db');
  const scratches = async () => (await w.pg.databases()).filter((d) => d.startsWith('runway_verify_'));
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(['-c', w.world.configFile, ...args], env);
  const drillLog = (): DrillRecord[] =>
    readFileSync(join(w.world.dir, '.runway', 'drills.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DrillRecord);

  let slack: SlackServer;
  /** Every Slack text of the runs (messages and their thread replies, every version). */
  const slackTexts = () =>
    slack
      .messages()
      .flatMap((m) => [m, ...slack.replies(m.ts)])
      .flatMap((m) => m.history.map((h) => h.text));

  /** A small filesystem of its own for the `app-db-full` set: 256 KB of tmpfs (the tests run as root). */
  const smallDisk = join(tmpdir(), `runway-full-${process.pid}`);

  beforeAll(async () => {
    mkdirSync(smallDisk, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0777', 'tmpfs', smallDisk]);
    process.env.RUNWAY_TEST_BACKUP_KEY = KEY;
    slack = await startSlackServer({ channels: ['#ops'] });
    process.env.RUNWAY_TEST_SLACK_TOKEN = slack.token;
    w = await startBackupWorld('backups', {
      extra: [
        'notify:',
        '  slack:',
        '    channel: "#ops"',
        '    token: { env: RUNWAY_TEST_SLACK_TOKEN }',
        `    apiUrl: ${slack.url}`,
        '    deliveryWindow: 5s',
        '',
      ].join('\n'),
      moreSets: [
        ...STRICT_SET,
        '  app-db-enc:',
        '    kind: postgres',
        '    environment: test',
        '    host: db-1',
        '    database: DB',
        '    dir: backups/enc',
        '    encryption: { key: { env: RUNWAY_TEST_BACKUP_KEY } }',
        '  app-db-slow:',
        '    kind: postgres',
        '    environment: test',
        '    host: db-1',
        '    database: DB',
        '    dir: backups/slow',
        "    verify: { queries: [{ name: slow, sql: 'select pg_sleep(30)', expect: '' }] }",
        '  app-db-full:',
        '    kind: postgres',
        '    environment: test',
        '    host: db-1',
        '    database: DB',
        `    dir: ${smallDisk}/copies`,
        '  app-db-missing:',
        '    kind: postgres',
        '    environment: test',
        '    host: db-1',
        '    database: no_such_database',
        '    connection: PG',
        '    dir: backups/missing',
        '  app-db-unwritable:',
        '    kind: postgres',
        '    environment: test',
        '    host: db-1',
        '    database: DB',
        '    dir: /proc/runway-backups',
      ],
    });
  });
  afterAll(async () => {
    await w?.stop();
    await slack?.stop();
    execFileSync('umount', [smallDisk]);
    rmSync(smallDisk, { recursive: true, force: true });
  });

  test('backup → verify → drill: the copy restores, the DR app answers, RTO and RPO are measured and logged', async () => {
    const taken = await w.run('backup', { set: 'app-db', actor: 'test' });
    expect(taken.exitCode).toBe(0);
    const copy = taken.report!.result!.copy as string;
    const [manifest] = manifests(dir());
    expect(manifest).toMatchObject({ id: copy, kind: 'postgres', copies: [{ host: 'vault-1' }] });
    expect(manifest.tables).toEqual({ 'public.accounts': SEED.accounts, 'shop.orders': SEED.orders });
    expect(manifest.sha256).toBe(sha256(join(dir(), manifest.file)));
    expect(Date.parse(manifest.dataTimestamp)).toBeLessThanOrEqual(Date.parse(manifest.createdAt));
    // The off-host copy is byte-identical.
    const vault = join(w.world.sandbox.hosts[1].dir, 'backups', 'app-db');
    expect(sha256(join(vault, manifest.file))).toBe(manifest.sha256);

    const verified = await w.run('backupVerify', { set: 'app-db' });
    expect(verified.message).toBe('backupVerify succeeded');
    expect(manifests(dir())[0].verified?.workflowId).toBe('backup-verify:app-db');
    expect(await scratches()).toEqual([]);

    const drill = await w.run('drDrill', { drill: 'app-db-dr' });
    expect(drill.message).toBe('drDrill succeeded');
    const result = drill.report!.result as unknown as DrillRecord;
    expect(result).toMatchObject({ outcome: 'passed', met: true, copy });
    expect(result.rtoMs).toBeGreaterThan(0);
    expect(result.rtoMs).toBeLessThan(60_000);
    expect(result.rpoMs).toBeGreaterThanOrEqual(Date.parse(result.at) - Date.parse(manifest.dataTimestamp));
    const logged = drillLog().at(-1)!;
    expect(logged).toMatchObject({ drill: 'app-db-dr', rtoMs: result.rtoMs, rpoMs: result.rpoMs, outcome: 'passed' });
    expect(await w.pg.databases()).not.toContain(`${w.db}_dr`);
    expect(await refused(w.appPorts[0])).toBe(true);
    console.log(`test drill: RTO ${result.rtoMs} ms, RPO ${result.rpoMs} ms`);
    expect(
      slackTexts().some((t) => /drill app-db-dr: RTO \S+ \(objective 5m00s\), RPO \S+ \(objective 1h00m\)/.test(t)),
    ).toBe(true);

    const status = await cli(['backups', 'status', 'app-db', '--json']);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as BackupStatusReport;
    expect(report.sets[0]).toMatchObject({ name: 'app-db', copies: 1, newestVerified: { id: copy }, problems: [] });
    expect(report.drills.at(-1)).toMatchObject({ drill: 'app-db-dr', outcome: 'passed' });
    const drills = await cli(['drills', 'report', '-n', '1']);
    expect(drills.stdout).toMatch(/app-db-dr .* passed/);
  });

  test('a files set is archived without its excludes, and every file is checked on restore and in a drill', async () => {
    const taken = await cli(['backups', 'take', 'site', '--json']);
    expect(taken.code).toBe(0);
    const sitesDir = join(w.dbHostDir, 'backups', 'site');
    const [manifest] = manifests(sitesDir);
    expect(manifest.files).toBe(2);
    expect(readFileSync(join(sitesDir, `${manifest.id}.sha256sums`), 'utf8')).not.toMatch(/debug\.log/);
    const verified = await cli(['backups', 'verify', 'site']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/files: 2/);
    expect(manifests(sitesDir)[0].verified).toBeDefined();
    const drill = await w.run('drDrill', { drill: 'site-dr' });
    expect(drill.message).toBe('drDrill succeeded');
    expect(existsSync(join(w.world.sandbox.hosts[2].dir, '.runway', 'drills', 'site-dr', 'restored'))).toBe(false);
  });

  test('a verification query that fails fails the run, names the query, and drops the scratch database', async () => {
    expect((await w.run('backup', { set: 'app-db-strict' })).exitCode).toBe(0);
    const verified = await w.run('backupVerify', { set: 'app-db-strict' });
    expect(verified.exitCode).toBe(1);
    expect(verified.message).toMatch(/verification query "owners" returned "500", expected "7"/);
    expect(await scratches()).toEqual([]);
    expect(manifests(join(w.dbHostDir, 'backups', 'strict'))[0].verified).toBeUndefined();
    // No verified copy: status says so and exits non-zero.
    const status = await cli(['backups', 'status', 'app-db-strict']);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/app-db-strict: no copy has passed a restore test/);
  });

  test('a verify cancelled mid-check drops its scratch database and marks nothing', async () => {
    expect((await w.run('backup', { set: 'app-db-slow' })).exitCode).toBe(0);
    const handle = await w.runway.start('backupVerify', { set: 'app-db-slow' });
    await waitFor(
      'the slow check to run',
      async () =>
        (await scratches()).length === 1 &&
        (await w.runway.progress(handle))?.steps.some(
          (s) => s.name.startsWith('restore-test') && s.status === 'running',
        ),
      20_000,
    );
    // One restore test of a set at a time: a second is refused, naming the run that holds the lock.
    const second = await cli(['backups', 'verify', 'app-db-slow']);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/backupVerify \(run [\w-]+, started .*\) holds the lock backup-verify:app-db-slow/);
    await handle.cancel();
    const outcome = await w.runway.wait(handle);
    expect(outcome.status).toBe('cancelled');
    expect(outcome.report!.steps.find((s) => s.name.startsWith('drop scratch database'))?.status).toBe('undone');
    expect(await scratches()).toEqual([]);
    expect(manifests(join(w.dbHostDir, 'backups', 'slow'))[0].verified).toBeUndefined();
  });

  test('a drill whose app never becomes healthy fails, says why, and still tears down', async () => {
    const drill = await w.run('drDrill', { drill: 'app-db-broken' });
    expect(drill.exitCode).toBe(1);
    expect(drill.message).toMatch(/drDrill failed: .*health/);
    expect(await w.pg.databases()).not.toContain(`${w.db}_dr`);
    expect(await refused(w.appPorts[1])).toBe(true);
    const logged = drillLog().at(-1)!;
    expect(logged).toMatchObject({ drill: 'app-db-broken', outcome: 'failed' });
    expect(logged.error).toMatch(/health/);
  });

  test('an encrypted copy restores with its key and is refused in one line under a wrong one; the key is nowhere', async () => {
    const taken = await w.run('backup', { set: 'app-db-enc' });
    expect(taken.exitCode).toBe(0);
    const encDir = join(w.dbHostDir, 'backups', 'enc');
    const [manifest] = manifests(encDir);
    expect(manifest.encryption?.cipher).toMatch(/aes-256/);
    expect(readFileSync(join(encDir, manifest.file)).subarray(0, 5).toString()).not.toBe('PGDMP');
    expect((await w.run('backupVerify', { set: 'app-db-enc' })).exitCode).toBe(0);

    process.env.RUNWAY_TEST_BACKUP_KEY = WRONG_KEY;
    try {
      const wrong = await w.run('backupVerify', { set: 'app-db-enc' });
      expect(wrong.exitCode).toBe(2);
      expect(wrong.message.split('\n')).toHaveLength(1);
      expect(wrong.message).toMatch(/db-1: copy .* was encrypted with another key .*wrong encryption key/);
    } finally {
      process.env.RUNWAY_TEST_BACKUP_KEY = KEY;
    }
    expect(await scratches()).toEqual([]);

    const histories = await Promise.all(
      ['backup:app-db-enc', 'backup-verify:app-db-enc'].map(async (id) =>
        JSON.stringify(await w.runway.client.workflow.getHandle(id).fetchHistory()),
      ),
    );
    const logs = ['audit.jsonl', 'drills.jsonl']
      .map((f) => join(w.world.dir, '.runway', f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, 'utf8'));
    expect(slackTexts().some((t) => t.includes('app-db-enc'))).toBe(true);
    for (const text of [...histories, ...logs, ...slackTexts()]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(WRONG_KEY);
      expect(text).not.toContain(Buffer.from(KEY).toString('base64'));
    }
  });

  test('bad input is one line, exit 2, and no copy is touched', async () => {
    const before = snapshot(dir());
    const unknown = await cli(['backups', 'take', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toMatch(/^runway: input\.set: unknown backup set "nope" \(known: app-db, /);
    const missing = await cli(['backups', 'take', 'app-db-missing']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/db-1: cannot open database no_such_database: .*does not exist/);
    const unwritable = await cli(['backups', 'take', 'app-db-unwritable']);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(/db-1: cannot create the backup dir \/proc\/runway-backups/);
    const noCopy = await cli(['backups', 'verify', 'app-db', '--copy', 'app-db-19700101T000000Z-none']);
    expect(noCopy.code).toBe(2);
    expect(noCopy.stderr).toMatch(/backup set app-db has no copy app-db-19700101T000000Z-none/);
    expect(snapshot(dir())).toEqual(before);
  });

  test('backups status without a worker gives up after --within, exit 4, instead of hanging a monitor', async () => {
    const config = join(w.world.dir, 'client-only.yml');
    const taskQueue = `nobody-${process.pid}`;
    writeFileSync(config, `temporal:\n  address: ${temporalAddress()}\n  taskQueue: ${taskQueue}\n`);
    const started = Date.now();
    const result = await runCli(['-c', config, 'backups', 'status', '--within', '2s']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`runway: no answer within 2s: is a worker polling task queue ${taskQueue}?`);
    expect(Date.now() - started).toBeLessThan(15_000);
    // The status run it started was stopped (visibility catches up within moments).
    const query = `TaskQueue="${taskQueue}"`;
    await waitFor(
      'the status run to be stopped',
      async () => {
        const running = await w.runway.client.workflow.count(`${query} AND ExecutionStatus="Running"`);
        const terminated = await w.runway.client.workflow.count(`${query} AND ExecutionStatus="Terminated"`);
        return running.count === 0 && terminated.count === 1;
      },
      10_000,
    );
  });

  test('a backup dir without room for another copy is refused in one line; the copy there is untouched', async () => {
    expect((await w.run('backup', { set: 'app-db-full' })).exitCode).toBe(0);
    const copies = join(smallDisk, 'copies');
    const before = snapshot(copies);
    const { bavail, bsize } = statfsSync(smallDisk);
    writeFileSync(join(smallDisk, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - 8 * 1024)));
    try {
      const full = await cli(['backups', 'take', 'app-db-full']);
      expect(full.code).toBe(2);
      expect(full.stderr.trim().split('\n')).toHaveLength(1);
      expect(full.stderr).toMatch(
        new RegExp(
          `db-1: the backup dir ${smallDisk}/copies has \\d+ bytes free; the last copy of app-db-full took \\d+`,
        ),
      );
      expect(snapshot(copies)).toEqual(before);
    } finally {
      rmSync(join(smallDisk, 'filler'));
    }
  });

  test('a corrupted copy fails verification naming the reason; nothing is rotated; no scratch database is left', async () => {
    expect((await w.run('backup', { set: 'app-db' })).exitCode).toBe(0);
    const [newest] = manifests(dir());
    const file = join(dir(), newest.file);
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(file, bytes);
    const before = snapshot(dir());
    const verified = await w.run('backupVerify', { set: 'app-db' });
    expect(verified.exitCode).toBe(1);
    expect(verified.message).toMatch(
      new RegExp(`copy ${newest.id} is corrupt: sha256 [0-9a-f]{64}, its manifest says`),
    );
    expect(snapshot(dir())).toEqual(before);
    expect(await scratches()).toEqual([]);
  });
});
