import { execFile } from 'node:child_process';
import { quote } from '../core/quote';
import type { SandboxPostgres } from '../sandbox/postgres';
import { startWorld, type TestWorld } from './support/harness';
import { testPostgres } from './support/postgres';

/** The jest run's PostgreSQL cluster: reachable over its socket only, by the sandbox hosts' login user, by peer auth. */
describe('postgres', () => {
  let pg: SandboxPostgres;
  let world: TestWorld;
  const suffix = Math.random().toString(36).slice(2, 8);

  beforeAll(async () => {
    pg = testPostgres();
    world = await startWorld('pghost', 1, { names: ['db-1'] });
  });
  afterAll(() => world?.stop());

  /** Runs `command` on the sandbox host over real ssh; never rejects. */
  function onHost(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const { sandbox } = world;
    const host = sandbox.hosts[0];
    const args = [
      ...['-F', '/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'BatchMode=yes'],
      ...['-o', `UserKnownHostsFile=${sandbox.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes'],
      ...['-i', sandbox.clientKeyFile, '-p', String(host.port), `${sandbox.user}@${host.address}`, command],
    ];
    return new Promise((resolve) =>
      execFile('ssh', args, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 255) : 0, stdout, stderr }),
      ),
    );
  }
  const connect = () => `-h ${quote(pg.socketDir)} -p ${pg.port}`;

  it('answers over its Unix socket only, as the sandbox login user', async () => {
    expect(await pg.psql('select 1')).toBe('1\n');
    expect(await pg.psql('show listen_addresses')).toBe('\n');
    expect(pg.user).toBe(world.sandbox.user);
    expect(pg.env).toEqual({ PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: pg.user });
    await expect(pg.psql('select nonsense')).rejects.toThrow(/column "nonsense" does not exist/);
  });

  it('creates, lists and drops databases', async () => {
    const name = `created_${suffix}`;
    expect(await pg.databases()).not.toContain(name);
    await pg.createDatabase(name);
    expect(await pg.databases()).toContain(name);
    expect(await pg.psql('select current_database()', name)).toBe(`${name}\n`);
    await pg.dropDatabase(name);
    expect(await pg.databases()).not.toContain(name);
  });

  it('a sandbox host reaches it by peer auth as its login user, and as no one else', async () => {
    const me = await onHost(`psql ${connect()} -At -c 'select current_user' postgres`);
    expect(me).toMatchObject({ code: 0, stdout: `${world.sandbox.user}\n` });
    const other = await onHost(`psql ${connect()} -U postgres -At -c 'select 1' postgres`);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/Peer authentication failed for user "postgres"/);
  });

  it('pg_dump -Fc and pg_restore work from a sandbox host', async () => {
    const [source, target] = [`source_${suffix}`, `target_${suffix}`];
    await Promise.all([pg.createDatabase(source), pg.createDatabase(target)]);
    try {
      await pg.psql(
        "create table items (id int primary key, name text); insert into items values (1, 'one'), (2, 'two')",
        source,
      );
      const dump = '"$RUNWAY_HOST_DIR/items.dump"';
      const restored = await onHost(
        `pg_dump ${connect()} -Fc -t items -f ${dump} ${source} && pg_restore ${connect()} -d ${target} ${dump}`,
      );
      expect(restored).toMatchObject({ code: 0, stderr: '' });
      expect(await pg.psql('select id, name from items order by id', target)).toBe('1|one\n2|two\n');
    } finally {
      await Promise.all([pg.dropDatabase(source), pg.dropDatabase(target)]);
    }
  });
});
