import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandleWithFirstExecutionRunId as Handle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { RunwayClient } from '../client/lib';
import { codecOf } from '../config/encryption';
import { PROGRESS_QUERY } from '../core/names';
import { ownedByRunway, scheduleOptions, type DesiredSchedule } from '../core/schedules';
import { ensureTemporal, ROOT } from '../sandbox/bootstrap';
import { freePort } from '../sandbox/process';
import { bundleRunbooks, createRunwayWorker, RUNBOOKS_PATH } from '../worker';
import type { SshPool } from '../activities';
import { startDeployWorld, type DeployWorld } from './support/deploy-world';
import { decodeJson, encodingOf, historyJson, payloadsOf, TEST_KEY_FILE, type JsonPayload } from './support/encryption';
import { runCli, temporalAddress, waitFor } from './support/harness';
import { historyText } from './support/history';

const P = `enc${randomBytes(4).toString('hex')}`;
/** What must never be readable in a history without the key: output, command lines, settings, stderr. */
const SECRETS = {
  execOutput: `${P}-out-42`,
  execCommand: `${P}-cmd`,
  setting: `${P}-setting`,
  stderr: `${P}-stderr`,
};
const TOKEN = `${P}-codec-token-${randomBytes(12).toString('hex')}`;
process.env.RUNWAY_TEST_CODEC_TOKEN = TOKEN;

/**
 * With `temporal.encryption` on, the whole history of real runs — an exec, a deploy, a failed deploy with its stderr —
 * holds none of their output, command lines or settings in clear: only decoding with the key shows them, through the
 * codec, `runway codec-server` (a real process) and `temporal workflow show --codec-endpoint` (the real CLI).
 */
describe('encrypted runs', () => {
  let w: DeployWorld;
  let worker: { worker: Worker; pool: SshPool; connection: NativeConnection; running: Promise<void> };
  let raw: { client: Client; connection: Connection };
  let codecPort: number;
  const runs: Record<'exec' | 'deploy' | 'failed', Handle> = {} as never;
  const k1 = codecOf({ keyId: 'k1', keys: { k1: { file: TEST_KEY_FILE } } });

  const encryptionYaml = (keyId: string, keys: Record<string, string>) =>
    [
      '  encryption:',
      `    keyId: ${keyId}`,
      `    keys: ${JSON.stringify(Object.fromEntries(Object.entries(keys).map(([id, file]) => [id, { file }])))}`,
      '    codecServer:',
      `      listen: 127.0.0.1:${codecPort}`,
      '      origins: [http://localhost:8233]',
      '      token: { env: RUNWAY_TEST_CODEC_TOKEN }',
      '',
    ].join('\n');

  const startWorker = async () => {
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const made = await createRunwayWorker({ configFile: w.world.configFile, connection, workflowBundle: bundle });
    return { ...made, connection, running: made.worker.run() };
  };
  const stopWorker = async () => {
    worker.worker.shutdown();
    await worker.running;
    worker.pool.close();
    await worker.connection.close();
  };
  let bundle: Awaited<ReturnType<typeof bundleRunbooks>>;

  beforeAll(async () => {
    codecPort = await freePort();
    const [blue, green] = [await freePort(), await freePort()];
    bundle = await bundleRunbooks(RUNBOOKS_PATH, { encodeFailures: true });
    w = await startDeployWorld('encrypted', {
      web: 1,
      service: {
        strategy: 'blue-green',
        ports: { blue, green },
        env: { GREETING: 'hello', API_MODE: SECRETS.setting },
      },
      extra: encryptionYaml('k1', { k1: TEST_KEY_FILE }),
      noWorker: true,
    });
    // The demo's injected start failure prints what the FAIL_START file holds, so its stderr is this test's own.
    const config = readFileSync(w.world.configFile, 'utf8');
    writeFileSync(w.world.configFile, config.replace(`echo 'FAIL_START is set' >&2`, 'cat {{dir}}/FAIL_START >&2'));
    worker = await startWorker();
    const connection = await Connection.connect({ address: temporalAddress() });
    raw = { connection, client: new Client({ connection }) };

    runs.exec = await w.runway.start('exec', {
      environment: 'test',
      role: 'web',
      command: `echo ${P}-out-$((40+2)) # ${SECRETS.execCommand}`,
      actor: 'ci',
    });
    expect((await w.runway.wait(runs.exec)).status).toBe('succeeded');
    await w.build('1.0.0');
    runs.deploy = await w.runway.start('deploy', {
      environment: 'test',
      service: 'app',
      version: '1.0.0',
      actor: 'ci',
    });
    expect((await w.runway.wait(runs.deploy)).exitCode).toBe(0);
    await w.build('1.1.0');
    writeFileSync(join(w.world.sandbox.hosts[0].dir, 'app', 'FAIL_START'), `${SECRETS.stderr}\n`);
    runs.failed = await w.runway.start('deploy', {
      environment: 'test',
      service: 'app',
      version: '1.1.0',
      actor: 'ci',
    });
    const failed = await w.runway.wait(runs.failed);
    expect([failed.status, failed.exitCode]).toEqual(['failed', 1]);
    // The client, with the key, reads what the run said: the failing command's stderr is in its message.
    expect(failed.message).toContain(SECRETS.stderr);
  }, 240_000);

  afterAll(async () => {
    await raw?.connection.close();
    if (worker) await stopWorker();
    await w?.stop();
  });

  const rawHistory = async (handle: Handle) =>
    historyJson(await raw.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory());
  const clearText = (json: unknown) => historyText(json as never);

  it.each(['exec', 'deploy', 'failed'] as const)(
    'the %s history holds no output, command or setting in clear — and does once decoded with the key',
    async (name) => {
      const history = await rawHistory(runs[name]);
      const text = clearText(history);
      for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
      // Every payload but the search attributes' and the patch markers' (written by the SDK core, not the codec: a
      // patch id such as run-end-records) is sealed; every failure says only "Encoded failure".
      const all = payloadsOf(history);
      const patches = all.filter((p) => p.path.includes('patch-data'));
      expect(patches.map((p) => Object.keys(JSON.parse(Buffer.from(p.payload.data!, 'base64').toString())))).toEqual(
        patches.map(() => ['id', 'deprecated']),
      );
      const payloads = all.filter((p) => !p.path.includes('searchAttributes') && !p.path.includes('patch-data'));
      expect(payloads.length).toBeGreaterThan(10);
      expect(payloads.filter((p) => encodingOf(p.payload) !== 'binary/encrypted').map((p) => p.path.join('.'))).toEqual(
        [],
      );
      expect(payloads.some((p) => p.path.includes('userMetadata'))).toBe(true); // the activities' summaries
      const messages = [...JSON.stringify(history).matchAll(/"message":"([^"]*)"/g)].map((m) => m[1]);
      expect(messages.filter((m) => m !== 'Encoded failure')).toEqual([]);
      if (name === 'failed') expect(messages.length).toBeGreaterThan(0);
      // The test can fail: with the key, the same history says everything.
      const decoded = clearText(await decodeJson(history, k1));
      const expected = {
        exec: [SECRETS.execOutput, SECRETS.execCommand],
        deploy: [SECRETS.setting],
        failed: [SECRETS.setting, SECRETS.stderr],
      }[name];
      for (const secret of expected) expect(decoded).toContain(secret);
    },
  );

  it('search attributes stay clear text (service, version, environment, runbook, status), as documented', async () => {
    const text = JSON.stringify(await rawHistory(runs.deploy));
    const attributes = payloadsOf(JSON.parse(text)).filter((p) => p.path.includes('searchAttributes'));
    const values = attributes.map((p) => Buffer.from(p.payload.data ?? '', 'base64').toString('utf8'));
    expect(values).toEqual(expect.arrayContaining(['"app"', '"1.0.0"', '"test"', '"deploy"']));
    expect(attributes.every((p) => encodingOf(p.payload) === 'json/plain')).toBe(true);
  });

  it('the memo (actor), the run summary, queries and current details are sealed outside the history too', async () => {
    const { workflowId, firstExecutionRunId: runId } = runs.exec;
    const described = await raw.connection.workflowService.describeWorkflowExecution({
      namespace: 'default',
      execution: { workflowId, runId },
    });
    const sealed = (p?: { metadata?: Record<string, Uint8Array> | null } | null) =>
      Buffer.from(p?.metadata?.encoding ?? []).toString();
    expect(sealed(described.workflowExecutionInfo?.memo?.fields?.actor)).toBe('binary/encrypted');
    expect(sealed(described.executionConfig?.userMetadata?.summary)).toBe('binary/encrypted');
    for (const queryType of [PROGRESS_QUERY, '__temporal_workflow_metadata']) {
      const answer = await raw.connection.workflowService.queryWorkflow({
        namespace: 'default',
        execution: { workflowId, runId },
        query: { queryType },
      });
      const payloads = answer.queryResult?.payloads ?? [];
      expect(payloads.map(sealed)).toEqual(['binary/encrypted']);
      expect(Buffer.from(payloads[0].data ?? []).toString('latin1')).not.toContain(SECRETS.execOutput);
    }
  });

  it("a running command's heartbeat details are sealed where Temporal shows them (pending activities)", async () => {
    const handle = await w.runway.start('exec', {
      environment: 'test',
      role: 'web',
      command: `sleep 3; echo ${P}-late`,
      actor: 'ci',
    });
    const { workflowId, firstExecutionRunId: runId } = handle;
    const details = await waitFor('a heartbeat', async () => {
      const described = await raw.connection.workflowService.describeWorkflowExecution({
        namespace: 'default',
        execution: { workflowId, runId },
      });
      return described.pendingActivities?.find((a) => a.heartbeatDetails?.payloads?.length)?.heartbeatDetails;
    });
    expect(details!.payloads!.map((p) => Buffer.from(p.metadata?.encoding ?? []).toString())).toEqual([
      'binary/encrypted',
    ]);
    expect((await w.runway.wait(handle)).status).toBe('succeeded');
  });

  it("a schedule's action (input, memo, summary) and memo are sealed by the client that creates it", async () => {
    const scheduleId = `runway:backup:${P}`;
    const desired: DesiredSchedule = {
      id: scheduleId,
      workflowType: 'backup',
      workflowId: `backup:${P}`,
      input: { environment: 'test', set: 'app-db', actor: 'schedule', note: `${P}-scheduled` } as never,
      environment: 'test',
      spec: { every: 3_600_000 },
      specText: 'every 1h',
      taskQueue: w.world.taskQueue,
      catchupWindow: 60_000,
      paused: true,
      fingerprint: `${P}-fingerprint`,
    };
    await w.runway.client.schedule.create(scheduleOptions(desired, 'planning'));
    try {
      const described = await raw.connection.workflowService.describeSchedule({ namespace: 'default', scheduleId });
      const json = (described as unknown as { toJSON(): unknown }).toJSON();
      const payloads = payloadsOf(json).filter((p) => !p.path.includes('searchAttributes'));
      expect(payloads.map((p) => p.path.join('.'))).toEqual(
        expect.arrayContaining([
          'schedule.action.startWorkflow.input.payloads.0',
          'schedule.action.startWorkflow.memo.fields.actor',
          'schedule.action.startWorkflow.userMetadata.summary',
          'memo.fields.runway',
        ]),
      );
      expect(payloads.filter((p) => encodingOf(p.payload) !== 'binary/encrypted')).toEqual([]);
      expect(clearText(json)).not.toMatch(new RegExp(`${P}-(scheduled|fingerprint)`));
      // Runway's own reading of its schedules (the memo marker) still works through the codec.
      const mine = await w.runway.client.schedule.getHandle(scheduleId).describe();
      expect(ownedByRunway(mine)).toBe(true);
    } finally {
      await w.runway.client.schedule.getHandle(scheduleId).delete();
    }
  });

  describe('runway codec-server (a real process)', () => {
    let server: ChildProcess;
    let endpoint: string;
    beforeAll(async () => {
      server = spawn(join(ROOT, 'bin', 'runway'), ['codec-server', '--config', w.world.configFile], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env },
      });
      let out = '';
      server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      server.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      endpoint = await waitFor('the codec server', () => {
        if (server.exitCode !== null) throw new Error(`runway codec-server exited ${server.exitCode}: ${out}`);
        return out.match(/codec server on (\S+)/)?.[1];
      });
    });
    afterAll(() => {
      server?.kill('SIGTERM');
    });

    const decode = (payloads: JsonPayload[], headers: Record<string, string> = {}) =>
      fetch(`${endpoint}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers },
        body: JSON.stringify({ payloads }),
      });

    it('decodes a history for a request with the token, and refuses one without it or with another', async () => {
      const history = await rawHistory(runs.failed);
      const payloads = payloadsOf(history).map((p) => p.payload);
      const ok = await decode(payloads, { Authorization: `Bearer ${TOKEN}` });
      expect(ok.status).toBe(200);
      const body = await ok.text();
      const decoded = (JSON.parse(body) as { payloads: JsonPayload[] }).payloads;
      expect(decoded).toHaveLength(payloads.length);
      const text = decoded.map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8')).join('\n');
      expect(text).toContain(SECRETS.stderr);
      expect(text).toContain(SECRETS.setting);
      const refusals: Record<string, string>[] = [
        {},
        { Authorization: 'Bearer not-the-token' },
        { Authorization: TOKEN },
      ];
      for (const headers of refusals) {
        const refused = await decode(payloads, headers);
        expect(refused.status).toBe(401);
        const said = await refused.text();
        expect(said).not.toContain('payloads');
        expect(said).not.toContain(SECRETS.stderr);
      }
    });

    it('temporal workflow show reads the run in clear with --codec-endpoint and the token, and not otherwise', () => {
      const show = (...extra: string[]) =>
        spawnSync(
          ensureTemporal(),
          [
            'workflow',
            'show',
            '--address',
            temporalAddress(),
            '-w',
            runs.exec.workflowId,
            '-r',
            runs.exec.firstExecutionRunId,
            '--output',
            'json',
            ...extra,
          ],
          { encoding: 'utf8', timeout: 60_000 },
        );
      const plain = show();
      expect(plain.status).toBe(0);
      const shown = JSON.parse(plain.stdout);
      expect(payloadsOf(shown).filter((p) => encodingOf(p.payload) === 'binary/encrypted').length).toBeGreaterThan(5);
      expect(clearText(shown)).not.toContain(SECRETS.execOutput);
      const clear = show('--codec-endpoint', endpoint, '--codec-auth', `Bearer ${TOKEN}`);
      expect(clear.status).toBe(0);
      const text = clearText(JSON.parse(clear.stdout));
      expect(text).toContain(SECRETS.execOutput);
      expect(text).toContain(SECRETS.execCommand);
      const wrong = show('--codec-endpoint', endpoint, '--codec-auth', 'Bearer not-the-token');
      expect(`${wrong.stdout}${wrong.stderr}`).not.toContain(SECRETS.execOutput);
      expect(wrong.status).not.toBe(0);
    });
  });

  describe('key rotation on real runs', () => {
    const k2 = join(ROOT, '.runway', 'test', `${P}-k2.key`);
    const rewrite = (keyId: string, keys: Record<string, string>) => {
      const config = readFileSync(w.world.configFile, 'utf8').replace(/  encryption:\n(    .*\n)+/, '');
      writeFileSync(w.world.configFile, config.replace(/(  uiUrl: .*\n)/, `$1${encryptionYaml(keyId, keys)}`));
    };

    it('keyId moves to k2 (k1 kept): new payloads are sealed with k2, runs sealed with k1 still read', async () => {
      writeFileSync(k2, randomBytes(32).toString('base64'));
      rewrite('k2', { k1: TEST_KEY_FILE, k2 });
      await stopWorker();
      worker = await startWorker();
      const runway = await RunwayClient.connect({ configFile: w.world.configFile });
      try {
        const fresh = await runway.start('exec', {
          environment: 'test',
          role: 'web',
          command: 'echo after',
          actor: 'ci',
        });
        expect((await runway.wait(fresh)).status).toBe('succeeded');
        const keyIds = payloadsOf(await rawHistory(fresh))
          .filter((p) => !p.path.includes('searchAttributes') && !p.path.includes('patch-data'))
          .map((p) => Buffer.from(p.payload.metadata?.['encryption-key-id'] ?? '', 'base64').toString());
        expect([...new Set(keyIds)]).toEqual(['k2']);
        // The k1 run: its result decodes here, and the worker replays its k1 history to answer a query in k2.
        const old = await runway.wait(runway.handle(runs.exec.workflowId));
        expect(JSON.stringify(old.report)).toContain(SECRETS.execOutput);
        expect(JSON.stringify(await runway.progress(runway.handle(runs.exec.workflowId)))).toContain(
          SECRETS.execOutput,
        );
      } finally {
        await runway.close();
      }
    });

    it('with k1 removed, reading a k1 run says which key id is missing', async () => {
      rewrite('k2', { k2 });
      const status = await runCli(['status', runs.exec.workflowId, '--json', '--config', w.world.configFile]);
      expect(status.code).toBe(1);
      expect(status.stderr).toContain(
        'runway: a payload was encrypted with key "k1", which temporal.encryption.keys does not have: put it back',
      );
      expect(status.stdout).not.toContain(SECRETS.execOutput);
    });
  });
});
