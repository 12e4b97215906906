import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAnswer } from '../activities/ssh/journal';
import {
  execScript,
  killScript,
  moveIntoPlaceScript,
  pruneScript,
  removeScript,
  sha256Script,
} from '../activities/ssh/scripts';
import { HOSTILE } from './support/hostile';

/**
 * The ssh activities' shell scripts: the journal wrapper every command runs through, its kill and prune scripts, and
 * the upload's checksum and rename. Exact text for ordinary values, then each run under /bin/sh in a temp directory
 * with hostile values (which must reach the shell as one literal word). No sshd: the wrapper is plain POSIX sh.
 */

const lines = (...l: string[]) => l.join('\n');

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'runway-ssh-scripts-'));
});
afterEach(() => {
  // Nothing a hostile value carried may have run: no file named `pwned` anywhere under the sandbox.
  const found = (readdirSync(root, { recursive: true }) as string[]).filter((p) => p.split('/').pop() === 'pwned');
  rmSync(root, { recursive: true, force: true });
  expect(found).toEqual([]);
});

const env = () => ({ ...process.env, HOSTILE_VAR: 'expanded' });

/** Runs a script with /bin/sh in the sandbox; stdout as bytes (the wrapper's answer is parsed from bytes). */
function attempt(script: string): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', script], { cwd: root, env: env(), timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** A directory in the sandbox named by (possibly hostile) `name`, created. */
function dirNamed(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The wrapper's answer: its parsed header, stdout and stderr tails. */
function answer(script: string) {
  const r = attempt(script);
  expect(r.status).toBe(0);
  const parsed = parseAnswer(r.stdout);
  if (!parsed) throw new Error(`no header in ${JSON.stringify(r.stdout.toString())} (stderr ${r.stderr})`);
  return { header: parsed.header, stdout: parsed.stdout.toString(), stderr: r.stderr };
}

describe('execScript', () => {
  /** The wrapper's text around the three quoted words and the tail size, written out line by line. */
  const wrapper = (dirWord: string, entryWord: string, commandWord: string, tail: number) =>
    lines(
      `J=${entryWord}`,
      `[ -d ${dirWord} ] || mkdir -p ${dirWord} || { echo '@@runway unwritable'; exit 0; }`,
      'if mkdir "$J" 2>/dev/null; then',
      '  mode=ran; S=; command -v setsid >/dev/null 2>&1 && S=setsid',
      `  $S sh -c 'trap "" HUP; echo $$ >"$1/pid"; sh -c "$2" </dev/null >"$1/out" 2>"$1/err"; echo $? >"$1/exit"' runway "$J" ${commandWord} &`,
      '  wait $!',
      'else',
      '  mode=attached; n=0',
      '  while [ ! -s "$J/exit" ]; do',
      '    if [ -s "$J/pid" ]; then',
      `      read p <"$J/pid"; kill -0 "$p" 2>/dev/null || [ -s "$J/exit" ] || { echo '@@runway lost'; exit 0; }`,
      '    else',
      `      n=$((n+1)); [ $n -gt 100 ] && { echo '@@runway lost'; exit 0; }`,
      '    fi',
      '    sleep 0.1',
      '  done',
      'fi',
      `cd "$J" && [ -s exit ] || { echo '@@runway lost'; exit 0; }`,
      'read code <exit; set -- 0 out 0 err',
      'if [ -s out ] || [ -s err ]; then set -- $(wc -c out err); fi',
      `printf '@@runway %s %s %s %s\\n' "$mode" "$code" "$1" "$3"`,
      `[ "$1" = 0 ] || tail -c ${tail} out`,
      `[ "$3" = 0 ] || tail -c ${tail} err >&2`,
    );

  it.each<[string, string, string, number | undefined, string]>([
    [
      '/home/deploy/.runway/journal',
      '0123abcd',
      'echo hi',
      undefined,
      wrapper(`'/home/deploy/.runway/journal'`, `'/home/deploy/.runway/journal/0123abcd'`, `'echo hi'`, 16384),
    ],
    ['/j', 'k', "grep -q 'x' f", 10, wrapper(`'/j'`, `'/j/k'`, `'grep -q '\\''x'\\'' f'`, 10)],
    ["/it's", 'k', 'a\nb', 1, wrapper(`'/it'\\''s'`, `'/it'\\''s/k'`, `'a\nb'`, 1)],
  ])('execScript(%j, %j, %j, %j)', (dir, key, command, tail, expected) => {
    expect(execScript(dir, key, command, tail)).toBe(expected);
  });

  it.each<[string, string, number, string, string]>([
    ['exit code and both streams', `printf 'out\\n'; printf 'err\\n' >&2; exit 3`, 3, 'out\n', 'err\n'],
    [
      'quotes and substitutions reach sh -c whole',
      `printf '%s\\n' "it's" '$(touch pwned)' "$HOSTILE_VAR"`,
      0,
      "it's\n$(touch pwned)\nexpanded\n",
      '',
    ],
    ['a script of several lines', 'a=1\nb=2\necho $((a + b))', 0, '3\n', ''],
    ['stdin is /dev/null', 'cat; echo done', 0, 'done\n', ''],
    ['a command that prints nothing', 'exit 5', 5, '', ''],
    ['a command that prints on stderr only', 'echo warn >&2', 0, '', 'warn\n'],
  ])('runs %s', (_name, command, exitCode, stdout, stderr) => {
    const got = answer(execScript(join(root, 'journal'), 'k', command));
    expect(got).toEqual({
      header: { mode: 'ran', exitCode, stdoutBytes: stdout.length, stderrBytes: stderr.length },
      stdout,
      stderr,
    });
  });

  it('keeps the last tailBytes of each stream and counts them all', () => {
    const got = answer(execScript(join(root, 'journal'), 'k', 'seq 1 1000; seq 1 10 >&2', 8));
    expect(got).toEqual({
      header: { mode: 'ran', exitCode: 0, stdoutBytes: 3893, stderrBytes: 21 },
      stdout: '99\n1000\n',
      stderr: '\n8\n9\n10\n',
    });
  });

  it.each(HOSTILE)('runs once, then attaches, in a journal dir with %s', (_name, value) => {
    const dir = join(root, value, 'journal');
    const script = execScript(dir, 'k', 'echo once >> runs; echo out; exit 4');
    expect(answer(script)).toEqual({
      header: { mode: 'ran', exitCode: 4, stdoutBytes: 4, stderrBytes: 0 },
      stdout: 'out\n',
      stderr: '',
    });
    expect(answer(script).header).toEqual({ mode: 'attached', exitCode: 4, stdoutBytes: 4, stderrBytes: 0 });
    expect(readFileSync(join(root, 'runs'), 'utf8')).toBe('once\n');
    expect(readdirSync(join(dir, 'k')).sort()).toEqual(['err', 'exit', 'out', 'pid']);
  });

  it('reports a journal dir it cannot create', () => {
    writeFileSync(join(root, 'file'), '');
    expect(answer(execScript(join(root, 'file', 'journal'), 'k', 'echo hi')).header).toEqual({ mode: 'unwritable' });
  });

  it('reports a command whose runner is gone without an exit code as lost, and does not run it', () => {
    const entry = dirNamed(join('journal', 'k'));
    writeFileSync(join(entry, 'pid'), '2147483646\n');
    expect(answer(execScript(join(root, 'journal'), 'k', 'touch pwned')).header).toEqual({ mode: 'lost' });
  });
});

describe('killScript', () => {
  it.each([
    ['/j', 'k', undefined, 30, `'/j/k'`],
    ['/home/deploy/.runway/journal', '0123abcd', 5, 5, `'/home/deploy/.runway/journal/0123abcd'`],
    ["/it's", 'k', 1, 1, `'/it'\\''s/k'`],
  ])('killScript(%j, %j, %j)', (dir, key, grace, tenths, entryWord) => {
    expect(killScript(dir, key, grace)).toBe(
      lines(
        `J=${entryWord}`,
        'read p <"$J/pid" 2>/dev/null || exit 0',
        'kill -TERM "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null',
        `i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt ${tenths} ]; do sleep 0.1; i=$((i+1)); done`,
        'kill -KILL "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null',
        'echo cancelled >"$J/cancelled"',
      ),
    );
  });

  it.each(HOSTILE)('kills a running command and marks its entry, in a journal dir with %s', async (_name, value) => {
    const dir = join(root, value, 'journal');
    const wrapper = spawn('/bin/sh', ['-c', execScript(dir, 'k', 'sleep 30; touch pwned')], { cwd: root, env: env() });
    const out: Buffer[] = [];
    wrapper.stdout.on('data', (b: Buffer) => out.push(b));
    const closed = new Promise<number | null>((resolve) => wrapper.on('close', resolve));
    const pid = join(dir, 'k', 'pid');
    for (let i = 0; i < 100 && !(existsSync(pid) && readFileSync(pid, 'utf8').trim()); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(attempt(killScript(dir, 'k')).status).toBe(0);
    expect(await closed).toBe(0);
    expect(parseAnswer(Buffer.concat(out))?.header).toEqual({ mode: 'lost' });
    expect(readFileSync(join(dir, 'k', 'cancelled'), 'utf8')).toBe('cancelled\n');
    const runner = Number(readFileSync(pid, 'utf8'));
    expect(spawnSync('kill', ['-0', String(runner)]).status).not.toBe(0);
  });

  it('does nothing for an entry that never started', () => {
    const dir = dirNamed('journal');
    expect(attempt(killScript(dir, 'k')).status).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('pruneScript', () => {
  it.each([
    [
      '/home/deploy/.runway/journal',
      undefined,
      `find '/home/deploy/.runway/journal' -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} + 2>/dev/null; true`,
    ],
    ['/j', 30, `find '/j' -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} + 2>/dev/null; true`],
    ["/it's", 0, `find '/it'\\''s' -mindepth 1 -maxdepth 1 -type d -mtime +0 -exec rm -rf {} + 2>/dev/null; true`],
  ])('pruneScript(%j, %j)', (dir, days, expected) => {
    expect(pruneScript(dir, days)).toBe(expected);
  });

  it.each(HOSTILE)('removes only entries older than the days given, in a journal dir with %s', (_name, value) => {
    const dir = dirNamed(join(value, 'journal'));
    const old = new Date(Date.now() - 10 * 24 * 3600_000);
    for (const name of ['old', 'fresh', 'old file']) {
      if (name === 'old file') writeFileSync(join(dir, name), '');
      else mkdirSync(join(dir, name, 'inside'), { recursive: true });
      if (name.startsWith('old')) utimesSync(join(dir, name), old, old);
    }
    const outside = dirNamed('outside');
    utimesSync(outside, old, old);
    expect(attempt(pruneScript(dir)).status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['fresh', 'old file']);
    expect(existsSync(outside)).toBe(true);
  });

  it('is quiet about a journal dir that does not exist', () => {
    expect(attempt(pruneScript(join(root, 'none'))).status).toBe(0);
  });
});

describe('upload scripts', () => {
  it.each([
    ['/srv/api/releases/.1.4.2.tar.gz', `sha256sum '/srv/api/releases/.1.4.2.tar.gz' 2>/dev/null`],
    ["/srv/it's", `sha256sum '/srv/it'\\''s' 2>/dev/null`],
  ])('sha256Script(%j)', (path, expected) => {
    expect(sha256Script(path)).toBe(expected);
  });

  it.each([
    ['/srv/a.runway-7.tmp', `rm -f '/srv/a.runway-7.tmp'`],
    ['/srv/$(x)', `rm -f '/srv/$(x)'`],
  ])('removeScript(%j)', (path, expected) => {
    expect(removeScript(path)).toBe(expected);
  });

  it.each([
    ['/srv/a.tmp', '/srv/a', undefined, `mv -f '/srv/a.tmp' '/srv/a'`],
    ['/srv/a.tmp', '/srv/a', 0o644, `chmod 644 '/srv/a.tmp' && mv -f '/srv/a.tmp' '/srv/a'`],
    ['/srv/bin.tmp', '/srv/bin', 0o755, `chmod 755 '/srv/bin.tmp' && mv -f '/srv/bin.tmp' '/srv/bin'`],
    ["/s/it's.tmp", "/s/it's", 0o600, `chmod 600 '/s/it'\\''s.tmp' && mv -f '/s/it'\\''s.tmp' '/s/it'\\''s'`],
  ])('moveIntoPlaceScript(%j, %j, %j)', (temp, target, mode, expected) => {
    expect(moveIntoPlaceScript(temp, target, mode)).toBe(expected);
  });

  it.each(HOSTILE)('checksums a file whose path holds %s', (_name, value) => {
    const file = join(dirNamed(value), value);
    writeFileSync(file, `bytes of ${value}`);
    const hex = createHash('sha256').update(`bytes of ${value}`).digest('hex');
    const r = attempt(sha256Script(file));
    expect(r.status).toBe(0);
    // GNU sha256sum escapes a name holding a backslash or newline and prefixes the line with `\` (see the report on
    // remoteSha256 in activities/ssh/upload.ts, which then reads no checksum for such a path).
    const escaped = /[\\\n]/.test(file);
    expect(r.stdout.toString().startsWith(`${escaped ? '\\' : ''}${hex}  `)).toBe(true);
    expect(attempt(sha256Script(`${file}.missing`))).toMatchObject({ status: 1, stdout: Buffer.alloc(0) });
  });

  it.each(HOSTILE)('removes only the temp file named with %s', (_name, value) => {
    const dir = dirNamed('d');
    const siblings = ['a', 'b', 'c', 'x', 'touch', 'keep', 'two', 'lines'];
    for (const s of [...siblings, value]) writeFileSync(join(dir, s), s);
    expect(attempt(removeScript(join(dir, value))).status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(siblings.sort());
  });

  it.each(HOSTILE)('moves into place with its mode, names with %s', (_name, value) => {
    const dir = dirNamed(value);
    const temp = join(dir, `${value}.runway-1.tmp`);
    const target = join(dir, value);
    writeFileSync(temp, 'new');
    writeFileSync(target, 'old');
    expect(attempt(moveIntoPlaceScript(temp, target, 0o640)).status).toBe(0);
    expect(readdirSync(dir)).toEqual([value]);
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(statSync(target).mode & 0o777).toBe(0o640);
  });
});

describe('no builder lets a NUL byte through', () => {
  const NUL = 'a\0b';
  it.each<[string, () => string]>([
    ['execScript (dir)', () => execScript(`/j${NUL}`, 'k', 'true')],
    ['execScript (key)', () => execScript('/j', NUL, 'true')],
    ['execScript (command)', () => execScript('/j', 'k', `echo ${NUL}`)],
    ['killScript', () => killScript(`/j${NUL}`, 'k')],
    ['pruneScript', () => pruneScript(`/j${NUL}`)],
    ['sha256Script', () => sha256Script(NUL)],
    ['removeScript', () => removeScript(NUL)],
    ['moveIntoPlaceScript (temp)', () => moveIntoPlaceScript(NUL, '/t')],
    ['moveIntoPlaceScript (target)', () => moveIntoPlaceScript('/t.tmp', NUL, 0o644)],
  ])('%s', (_name, build) => {
    expect(build).toThrow(/NUL/);
  });
});
