import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './bootstrap';

// Shipped as is: its header says what it serves and how it drains.
const DEMO_APP_SOURCE = path.join(ROOT, 'examples', 'demo-app', 'app.js');

/** Options for {@link buildDemoArtifact}. */
export interface DemoArtifactOptions {
  /** Where the tarball is written (created if missing). */
  dir: string;
  /** Written to `VERSION`; also names the tarball, so it must be a plain file-name fragment. */
  version: string;
  /** Ship a `FAIL_HEALTH` file, so every instance of this release fails its health check (a bad release). */
  failHealth?: boolean;
}

/** A built release tarball and its SHA-256 (hex), as a deploy would pin and verify it. */
export interface DemoArtifact {
  file: string;
  sha256: string;
}

const run = promisify(execFile);

/**
 * Builds `<dir>/demo-app-<version>.tar.gz` with `app.js`, `VERSION` and, when asked, `FAIL_HEALTH` at its root, using
 * the system `tar` — the same tool that unpacks it on a host.
 */
export async function buildDemoArtifact(opts: DemoArtifactOptions): Promise<DemoArtifact> {
  if (!/^[\w.+-]+$/.test(opts.version)) throw new Error(`demo artifact: version ${JSON.stringify(opts.version)}`);
  const dir = path.resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `demo-app-${opts.version}.tar.gz`);
  // Staged in a private dir beside the output, so concurrent builds of different versions never see each other's files.
  const stage = await mkdtemp(path.join(dir, `.stage-${opts.version}-`));
  try {
    const members = ['app.js', 'VERSION', ...(opts.failHealth ? ['FAIL_HEALTH'] : [])];
    await copyFile(DEMO_APP_SOURCE, path.join(stage, 'app.js'));
    await writeFile(path.join(stage, 'VERSION'), `${opts.version}\n`);
    if (opts.failHealth) await writeFile(path.join(stage, 'FAIL_HEALTH'), '');
    // Neutral ownership and readable modes: the tarball must not carry the builder's uid to the host that unpacks it.
    const neutral = ['--owner=0', '--group=0', '--numeric-owner', '--mode=a+rX,u+w'];
    await run('tar', ['-czf', file, ...neutral, '-C', stage, ...members]);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  const sha256 = createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
  return { file, sha256 };
}
