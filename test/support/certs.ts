import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A private CA for tests, made with openssl: leaf certificates with chosen names and validity (an expired one
 * included — `openssl ca` takes any start and end date), each a PEM certificate and an unencrypted key.
 */
export interface TestCa {
  issue(name: string, o: { sans: string[]; from: Date; until: Date }): { certFile: string; keyFile: string };
}

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
/** A fresh P-256 key, unencrypted: the part of `openssl req` the CA and every leaf share. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');

export function makeTestCa(dir: string): TestCa {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = test',
      '[ test ]',
      `database = ${join(dir, 'index.txt')}`,
      `new_certs_dir = ${dir}`,
      `serial = ${join(dir, 'serial')}`,
      'policy = any',
      'default_md = sha256',
      'copy_extensions = copy',
      'unique_subject = no',
      '[ any ]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  openssl(
    ['req', '-x509', ...NEW_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=Runway Test CA'],
    dir,
  );
  return {
    issue(name, o) {
      const [keyFile, csr, certFile] = ['key', 'csr', 'pem'].map((ext) => join(dir, `${name}.${ext}`));
      const san = o.sans.map((s) => `DNS:${s}`).join(',');
      openssl(
        ['req', '-new', ...NEW_KEY, '-keyout', keyFile, '-out', csr].concat([
          '-subj',
          `/CN=${o.sans[0]}`,
          '-addext',
          `subjectAltName=${san}`,
        ]),
        dir,
      );
      openssl(
        [
          'ca',
          '-batch',
          '-notext',
          '-config',
          'ca.cnf',
          '-cert',
          'ca.pem',
          '-keyfile',
          'ca.key',
          '-in',
          csr,
          '-out',
          certFile,
        ].concat(['-startdate', stamp(o.from), '-enddate', stamp(o.until)]),
        dir,
      );
      return { certFile, keyFile };
    },
  };
}
