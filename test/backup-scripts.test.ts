import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quote } from '../core/quote';
import { parseManifests, type Manifest } from '../runbooks/backup/manifest';
import {
  checkOutputs,
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

  /** A copy `c1` of `base/site` (one file, `a`) in `copies/`, as the backup takes it; returns the copies dir. */
  function archiveSite(): string {
    const dir = join(root, 'copies');
    mkdirSync(join(root, 'base', 'site'), { recursive: true });
    writeFileSync(join(root, 'base', 'site', 'a'), 'a\n');
    mkdirSync(dir);
    const base = join(root, 'base');
    const taken = sh(
      filesArchiveScript({ dir, id: 'c1', file: 'c1.tar', base, paths: ['site'], exclude: [], encrypted: false }),
      root,
    );
    expect(taken.status).toBe(0);
    return dir;
  }

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

  test('a restore checks the copy first: whole, corrupt (exit 4), missing (exit 4); nothing is restored from a bad one', () => {
    const dir = archiveSite();
    const path = join(dir, 'c1.tar');
    const sha256 = execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0];
    const bytes = readFileSync(path).length;
    const restore = (into: string, p = path) =>
      sh(
        filesRestoreScript({
          path: p,
          sums: join(dir, 'c1.sha256sums'),
          into: join(root, into),
          work: join(root, `${into}.work`),
          encrypted: false,
          extras: { check: { id: 'c1', sha256, bytes } },
        }),
        root,
      );
    const ok = restore('r1');
    expect(ok.status).toBe(0);
    expect(marks(ok.stdout, 'ok')).toEqual([`${sha256} ${bytes}`]);
    const copy = readFileSync(path);
    copy[copy.length - 1] ^= 1;
    writeFileSync(path, copy);
    const corrupt = restore('r2');
    expect(corrupt.status).toBe(4);
    expect(reason(corrupt.stderr)).toMatch(/^copy c1 is corrupt: sha256 [0-9a-f]{64}, its manifest says /);
    const missing = restore('r3', `${path}.gone`);
    expect(missing.status).toBe(4);
    expect(reason(missing.stderr)).toBe(`copy c1 is missing: no file ${path}.gone`);
    expect(readdirSync(root).sort()).toEqual(['base', 'copies', 'r1']);
  });

  test('checks run in sections after the restore, and a restore test removes what it restored however it ends', () => {
    const dir = archiveSite();
    const test = (checks: string[]) => {
      const into = join(root, 'scratch');
      return sh(
        filesRestoreScript({
          path: join(dir, 'c1.tar'),
          sums: join(dir, 'c1.sha256sums'),
          into,
          work: `${into}.work`,
          encrypted: false,
          extras: { checks, discard: [`rm -rf ${quote(into)}`] },
        }),
        root,
      );
    };
    const ran = test([`cat ${quote(join(root, 'scratch', 'site', 'a'))}`, 'echo two; echo oops >&2; exit 7']);
    expect(ran.status).toBe(0);
    expect(checkOutputs(ran.stdout)).toEqual([
      { stdout: 'a', exitCode: 0 },
      { stdout: 'two', exitCode: 7, error: 'oops' },
    ]);
    expect(readdirSync(root).sort()).toEqual(['base', 'copies']);
    // A script stopped in the middle (what cancelling a run does: TERM to its process group) leaves nothing behind.
    const stopped = test(['kill -TERM $$; sleep 0.2']);
    expect(stopped.status).toBe(143);
    expect(checkOutputs(stopped.stdout)).toEqual([]);
    expect(readdirSync(root).sort()).toEqual(['base', 'copies']);
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
