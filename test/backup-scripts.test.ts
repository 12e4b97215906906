import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifests, type Manifest } from '../runbooks/backup/manifest';
import {
  checkCopyScript,
  filesArchiveScript,
  filesRestoreScript,
  listScript,
  marks,
  reason,
  removeCopyScript,
  writeManifestScript,
} from '../runbooks/backup/scripts';

/** The backup scripts run by a real POSIX sh on paths and values chosen to break naive quoting. */
const sh = (script: string, cwd: string) => spawnSync('/bin/sh', ['-c', script], { cwd, encoding: 'utf8' });
const HOSTILE = `it's a "dir" $(touch pwned) \`x\``;

describe('backup scripts under sh', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'runway-bscripts-'));
  });

  test('a manifest written with hostile text lists back unchanged; removal takes only its copy', () => {
    const dir = join(root, HOSTILE);
    mkdirSync(dir);
    const manifest = {
      format: 1,
      id: 'set-1',
      createdAt: '2026-01-01T00:00:00.000Z',
      note: HOSTILE,
    } as unknown as Manifest;
    const other = { ...manifest, id: 'set-2', createdAt: '2026-01-02T00:00:00.000Z' };
    for (const m of [manifest, other])
      expect(sh(writeManifestScript(dir, m.id, JSON.stringify(m)), root).status).toBe(0);
    writeFileSync(join(dir, 'set-1.dump'), 'x');
    writeFileSync(join(dir, 'set-2.dump'), 'y');
    expect(parseManifests(sh(listScript(dir), root).stdout)).toEqual([other, manifest]);
    expect(sh(removeCopyScript(dir, 'set-1', 'set-1.dump'), root).status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['set-2.dump', 'set-2.manifest.json']);
    expect(readdirSync(root)).not.toContain('pwned');
    expect(sh(listScript(join(root, 'none')), root).stdout).toBe('');
  });

  test('a copy is checked against its manifest: whole, corrupt (exit 4), missing (exit 4)', () => {
    const path = join(root, HOSTILE);
    writeFileSync(path, 'the copy');
    const sha256 = execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0];
    const ok = sh(checkCopyScript({ path, id: 'c1', sha256, bytes: 8 }), root);
    expect(ok.status).toBe(0);
    expect(marks(ok.stdout, 'ok')).toEqual([`${sha256} 8`]);
    writeFileSync(path, 'the copz');
    const corrupt = sh(checkCopyScript({ path, id: 'c1', sha256, bytes: 8 }), root);
    expect(corrupt.status).toBe(4);
    expect(reason(corrupt.stderr)).toMatch(/^copy c1 is corrupt: sha256 [0-9a-f]{64}, its manifest says /);
    const missing = sh(checkCopyScript({ path: `${path}.gone`, id: 'c1', sha256, bytes: 8 }), root);
    expect(missing.status).toBe(4);
    expect(reason(missing.stderr)).toBe(`copy c1 is missing: no file ${path}.gone`);
  });

  test('a files archive restores and every file is checked; a changed file fails the check', () => {
    const base = join(root, 'base');
    mkdirSync(join(base, HOSTILE), { recursive: true });
    writeFileSync(join(base, HOSTILE, 'a.conf'), 'a\n');
    writeFileSync(join(base, HOSTILE, 'skip.log'), 'no\n');
    const dir = join(root, 'copies');
    mkdirSync(dir);
    const taken = sh(
      filesArchiveScript({
        dir,
        id: 'f1',
        file: 'f1.tar',
        base,
        paths: [HOSTILE],
        exclude: ['*.log'],
        encrypted: false,
      }),
      root,
    );
    expect(taken.stderr).toBe('');
    expect(marks(taken.stdout, 'count')).toEqual(['1']);
    expect(readFileSync(join(dir, 'f1.sha256sums'), 'utf8')).toContain('a.conf');
    const restore = (into: string) =>
      sh(
        filesRestoreScript({
          path: join(dir, 'f1.tar'),
          sums: join(dir, 'f1.sha256sums'),
          into,
          work: `${into}.work`,
          encrypted: false,
        }),
        root,
      );
    const ok = restore(join(root, 'r1'));
    expect(ok.stderr).toBe('');
    expect(marks(ok.stdout, 'checked')).toEqual(['1']);
    expect(readFileSync(join(root, 'r1', HOSTILE, 'a.conf'), 'utf8')).toBe('a\n');
    // A sums file that no longer matches the archive is a failed check, naming the file.
    writeFileSync(
      join(dir, 'f1.sha256sums'),
      readFileSync(join(dir, 'f1.sha256sums'), 'utf8').replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0')),
    );
    const bad = restore(join(root, 'r2'));
    expect(bad.status).toBe(4);
    expect(reason(bad.stderr)).toMatch(/files differ from the manifest: 1 failed, e\.g\. .*a\.conf: FAILED/);
    expect(restore(join(root, 'r1')).status).toBe(3);
  });
});
