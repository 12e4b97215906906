import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DrillRecord } from '../core/drills';
import { startBackupWorld, SEED, type BackupWorld } from './support/backup-world';

const manifests = (dir: string) =>
  require('node:fs')
    .readdirSync(dir)
    .filter((f: string) => f.endsWith('.manifest.json'))
    .map((f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')));

describe('backup → verify → drill (real PostgreSQL, sshd hosts)', () => {
  let w: BackupWorld;
  beforeAll(async () => {
    w = await startBackupWorld('backups');
  });
  afterAll(async () => {
    await w?.stop();
  });

  test('a copy is taken, restore-tested and drilled; RTO and RPO are measured and logged', async () => {
    const taken = await w.run('backup', { set: 'app-db', actor: 'test' });
    expect(taken.exitCode).toBe(0);
    const copy = taken.report!.result!.copy as string;
    const dir = join(w.dbHostDir, 'backups', 'app-db');
    const [manifest] = manifests(dir);
    expect(manifest.id).toBe(copy);
    expect(manifest.tables).toEqual({ 'public.accounts': SEED.accounts, 'shop.orders': SEED.orders });

    const verified = await w.run('backupVerify', { set: 'app-db' });
    expect(verified.message).toBe('backupVerify succeeded');
    expect(verified.exitCode).toBe(0);
    expect(manifests(dir)[0].verified).toBeDefined();
    expect((await w.pg.databases()).filter((d) => d.startsWith('runway_verify_'))).toEqual([]);

    const drill = await w.run('drDrill', { drill: 'app-db-dr' });
    expect(drill.message).toBe('drDrill succeeded');
    expect(drill.exitCode).toBe(0);
    const result = drill.report!.result as unknown as DrillRecord;
    expect(result.rtoMs).toBeGreaterThan(0);
    expect(result.rpoMs).toBeGreaterThan(0);
    const log = readFileSync(join(w.world.dir, '.runway', 'drills.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(log[log.length - 1]).rtoMs).toBe(result.rtoMs);
    expect(await w.pg.databases()).not.toContain(`${w.db}_dr`);
    expect(existsSync(dir)).toBe(true);
  });
});
