import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { parseConfig } from '../config/load';
import { approvalMessage, APPROVAL_NAMESPACE, type SignedDecision } from '../core/approval';
import { findTemporal } from '../sandbox/bootstrap';
import { makeKeys, sshFingerprint, sshSign } from './support/approver-keys';
import { runCli, temporalAddress, useLiveWorld, waitFor } from './support/harness';

/**
 * Signed approvals on a real server: alice and bob are configured with ed25519 keys made by ssh-keygen, carol by
 * name only. A `steps` run with an approval gate waits; `runway approve` signs with ssh-keygen, and the update's
 * validator in the workflow accepts a decision of alice or bob only with their signature for this run, gate and
 * decision. Every refusal leaves the run waiting, with nothing decided.
 */
describe('signed approvals', () => {
  const keys = makeKeys(['alice', 'bob', 'mallory']);
  const fp = (who: string) => sshFingerprint(keys[who].file);
  const live = useLiveWorld('signed-approvals', 1, {
    environmentExtra: [
      'approval:',
      '  approvers:',
      `    - { name: alice, key: "${keys.alice.publicKey}" }`,
      '    - name: bob',
      `      key: ${keys.bob.publicKey}`,
      '    - carol',
      '  timeout: 2m',
    ],
  });
  /** A home without keys and no agent: only --key can sign. */
  const bareHome = { HOME: mkdtempSync(join(tmpdir(), 'runway-home-')), SSH_AUTH_SOCK: undefined };
  const cli = (args: string[], env: Record<string, string | undefined> = bareHome) =>
    runCli(['-c', live.world.configFile, ...args], env);

  async function startGated(gate = 'restart app'): Promise<WorkflowHandle> {
    const handle = await live.runway.start('steps', {
      environment: 'test',
      hosts: ['host-1'],
      steps: [{ name: gate, run: 'true', approval: true }],
    });
    await waitFor('the approval gate', async () => (await live.runway.progress(handle))?.awaiting);
    return handle;
  }
  /** The decision a signature must cover on this run. */
  async function decisionOf(handle: WorkflowHandle, by: string, decision: SignedDecision['decision'] = 'approved') {
    const progress = (await live.runway.progress(handle))!;
    return { workflowId: handle.workflowId, runId: progress.runId, gate: progress.awaiting!.gate, decision, by };
  }
  /** Sends an update as `temporal workflow update execute` would: the input as given, to that run. */
  function send(handle: WorkflowHandle, by: string, signature?: string, runId?: string) {
    return live.runway.decide(
      handle.workflowId,
      'approve',
      by,
      undefined,
      signature ? { signature, runId: runId! } : undefined,
    );
  }
  async function expectStillWaiting(handle: WorkflowHandle) {
    const progress = await live.runway.progress(handle);
    expect(progress?.status).toBe('awaiting-approval');
    expect(progress?.approvals).toBeUndefined();
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(0);
  }
  const auditLine = (runId: string) =>
    readFileSync(join(live.world.dir, '.runway', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((l) => l.runId === runId);

  let accepted: { signature: string; runId: string } | undefined;

  it("alice's signed approval (runway approve --key) passes; the decision records her key's fingerprint", async () => {
    const handle = await startGated();
    const progress = await live.runway.progress(handle);
    expect(progress?.awaiting).toEqual({
      gate: 'restart app',
      approvers: [
        { name: 'alice', key: keys.alice.publicKey },
        { name: 'bob', key: keys.bob.publicKey },
        { name: 'carol' },
      ],
    });
    const approved = await cli([
      'approve',
      handle.workflowId,
      '--as',
      'alice',
      '--key',
      keys.alice.file,
      '--reason',
      'change 42',
    ]);
    expect(approved).toMatchObject({ code: 0, stderr: '' });
    expect(approved.stdout).toContain(`restart app: approved by alice (signed with ${fp('alice')})`);
    const outcome = await live.runway.wait(handle);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.report?.awaiting).toBeUndefined();
    expect(outcome.report?.approvals).toMatchObject([
      { gate: 'restart app', decision: 'approved', by: 'alice', reason: 'change 42', signedWith: fp('alice') },
    ]);
    expect(auditLine(outcome.report!.runId)).toMatchObject({ approvals: [{ by: 'alice', signedWith: fp('alice') }] });
    // The history keeps the signed update input, so the decision can be verified again from the history alone.
    const events = (await handle.fetchHistory()).events ?? [];
    const input = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)!
      .workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.args!.payloads![0].data!;
    const sent = JSON.parse(Buffer.from(input).toString());
    expect(sent).toMatchObject({
      by: 'alice',
      reason: 'change 42',
      signature: expect.stringContaining('BEGIN SSH SIGNATURE'),
    });
    accepted = { signature: sent.signature, runId: outcome.report!.runId };
  });

  it("bob's signature sent as alice is refused with the reason; the run still waits", async () => {
    const handle = await startGated();
    const refused = await cli(['approve', handle.workflowId, '--as', 'alice', '--key', keys.bob.file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("signed with bob's key, not alice's");
    const unknown = await cli(['approve', handle.workflowId, '--as', 'alice', '--key', keys.mallory.file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      `signed with a key that is not alice's (${fp('mallory')}; alice's is ${fp('alice')})`,
    );
    await expectStillWaiting(handle);
    await live.runway.handle(handle.workflowId).cancel();
  });

  it('a signature of alice for another run, gate or decision is refused with the reason; the run still waits', async () => {
    const handle = await startGated();
    const here = await decisionOf(handle, 'alice');
    const why = `alice's signature is not for this decision (approved "restart app" in run ${here.runId} of ${handle.workflowId})`;
    // The signature accepted on the first run, sent again to this one.
    expect(accepted).toBeDefined();
    await expect(send(handle, 'alice', accepted!.signature, here.runId)).rejects.toThrow(why);
    for (const other of [
      { ...here, runId: accepted!.runId },
      { ...here, gate: 'migrate db' },
      { ...here, decision: 'rejected' as const },
      { ...here, reason: 'slipped in' },
    ]) {
      const signature = sshSign(keys.alice.file, approvalMessage(other), APPROVAL_NAMESPACE);
      await expect(send(handle, 'alice', signature, here.runId)).rejects.toThrow(why);
    }
    const gitSignature = sshSign(keys.alice.file, approvalMessage(here), 'git');
    await expect(send(handle, 'alice', gitSignature, here.runId)).rejects.toThrow(
      'the signature is for namespace "git", not "runway-approval"',
    );
    await expectStillWaiting(handle);
    // The same key for this run, gate and decision passes.
    const signature = sshSign(keys.alice.file, approvalMessage(here), APPROVAL_NAMESPACE);
    await expect(send(handle, 'alice', signature, here.runId)).resolves.toMatchObject({ signedWith: fp('alice') });
    expect((await live.runway.wait(handle)).status).toBe('succeeded');
  });

  it('a missing signature is refused with the reason (by the run, and by the CLI when no key is found)', async () => {
    const handle = await startGated();
    await expect(send(handle, 'alice')).rejects.toThrow(
      `alice's decisions must be signed: runway approve ${handle.workflowId} --as alice signs with alice's key (--key FILE or the ssh-agent)`,
    );
    const noKey = await cli(['approve', handle.workflowId, '--as', 'alice']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain(
      `alice's decisions are signed with the key ${fp('alice')}, which is neither in the ssh-agent nor in ~/.ssh: give --key FILE`,
    );
    const temporal = findTemporal()!;
    const raw = await spawnText(temporal, [
      ...['workflow', 'update', 'execute', '--address', temporalAddress(), '--workflow-id', handle.workflowId],
      ...['--name', 'approve', '--input', JSON.stringify({ by: 'alice' })],
    ]);
    expect(raw.code).not.toBe(0);
    expect(raw.output).toContain("alice's decisions must be signed");
    await expectStillWaiting(handle);
    await live.runway.handle(handle.workflowId).cancel();
  });

  it('carol, without a key, still decides by name', async () => {
    const handle = await startGated();
    const approved = await cli(['approve', handle.workflowId, '--as', 'carol']);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toContain('restart app: approved by carol\n');
    const outcome = await live.runway.wait(handle);
    expect(outcome.report?.approvals).toEqual([expect.objectContaining({ by: 'carol', decision: 'approved' })]);
    expect(outcome.report?.approvals?.[0].signedWith).toBeUndefined();
  });

  it('bob rejects through the ssh-agent holding his key, found without --key: the run rolls back, signed', async () => {
    const agent = startAgent();
    try {
      execFileSync('ssh-add', ['-q', keys.bob.file], { env: { ...process.env, SSH_AUTH_SOCK: agent.socket } });
      const handle = await startGated();
      const rejected = await cli(['reject', handle.workflowId, '--as', 'bob', '--reason', 'not today'], {
        ...bareHome,
        SSH_AUTH_SOCK: agent.socket,
      });
      expect(rejected).toMatchObject({ code: 0 });
      expect(rejected.stdout).toContain(`restart app: rejected by bob (signed with ${fp('bob')})`);
      const outcome = await live.runway.wait(handle);
      expect(outcome.exitCode).toBe(4);
      expect(outcome.report?.approvals).toMatchObject([{ decision: 'rejected', by: 'bob', signedWith: fp('bob') }]);
    } finally {
      agent.process.kill();
    }
  });

  it("alice's key is found in ~/.ssh; --print-signature gives the input for temporal workflow update execute", async () => {
    const home = mkdtempSync(join(tmpdir(), 'runway-home-'));
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    copyFileSync(keys.alice.file, join(home, '.ssh', 'id_ed25519'));
    copyFileSync(`${keys.alice.file}.pub`, join(home, '.ssh', 'id_ed25519.pub'));
    const handle = await startGated('switch traffic');
    const printed = await cli(['approve', handle.workflowId, '--as', 'alice', '--reason', 'ok', '--print-signature'], {
      HOME: home,
      SSH_AUTH_SOCK: undefined,
    });
    expect(printed.code).toBe(0);
    const { runId } = await decisionOf(handle, 'alice');
    expect(printed.stderr).toContain(
      `temporal workflow update execute --workflow-id ${handle.workflowId} --run-id ${runId}`,
    );
    await expectStillWaiting(handle);
    const raw = await spawnText(findTemporal()!, [
      ...['workflow', 'update', 'execute', '--address', temporalAddress(), '--workflow-id', handle.workflowId],
      ...['--run-id', runId, '--name', 'approve', '--input', printed.stdout.trim()],
    ]);
    expect(raw).toMatchObject({ code: 0 });
    const outcome = await live.runway.wait(handle);
    expect(outcome.report?.approvals).toMatchObject([
      { gate: 'switch traffic', by: 'alice', reason: 'ok', signedWith: fp('alice') },
    ]);
  });
});

describe('approvers in config', () => {
  const keys = makeKeys(['alice', 'bob']);
  const rsa = makeKeys(['rob'], 'rsa').rob;
  const config = (...approvers: string[]) =>
    [
      'ssh: { user: deploy, agent: true, knownHosts: /etc/ssh/ssh_known_hosts }',
      'environments:',
      '  production:',
      '    hosts: { web-1: { address: 10.0.0.1 } }',
      '    approval:',
      '      approvers:',
      ...approvers.map((a) => `        - ${a}`),
      '',
    ].join('\n');
  const problems = (text: string) => {
    try {
      parseConfig(text, 'runway.yml');
      return [];
    } catch (err) {
      return (err as Error).message.split('\n');
    }
  };

  it('names and { name, key } are read as { name, key? }', () => {
    const loaded = parseConfig(config('alice', `{ name: bob, key: "${keys.bob.publicKey}" }`, '{ name: carol }'), 'f');
    expect(loaded.config.environments.production.approval?.approvers).toEqual([
      { name: 'alice' },
      { name: 'bob', key: keys.bob.publicKey },
      { name: 'carol' },
    ]);
  });

  const P = 'environments.production.approval.approvers';
  it.each([
    [
      'an unsupported key type',
      [`{ name: rob, key: "${rsa.publicKey}" }`],
      `${P}[0].key: unsupported key type ssh-rsa`,
    ],
    [
      'a cut key',
      ['{ name: bob, key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA" }'],
      `${P}[0].key: malformed public key`,
    ],
    [
      'not a key line',
      ['{ name: bob, key: "AAAAC3NzaC1lZDI1NTE5" }'],
      `${P}[0].key: expected an OpenSSH public key line`,
    ],
    ['a name twice', ['alice', 'bob', 'alice'], `${P}[2]: alice is listed twice`],
    [
      'one key for two names',
      [`{ name: alice, key: "${keys.alice.publicKey}" }`, `{ name: bob, key: "${keys.alice.publicKey}" }`],
      `${P}[1].key: the same key as alice's: each approver signs with a key of their own`,
    ],
    ['an unknown field', ['{ name: bob, keys: x }'], `${P}[0]`],
  ])('%s is one config error line with its path', (_, approvers, expected) => {
    const lines = problems(config(...approvers));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^runway\.yml:\d+:\d+ /);
    expect(lines[0]).toContain(expected);
  });
});

function startAgent(): { socket: string; process: ChildProcess } {
  const socket = join(mkdtempSync(join(tmpdir(), 'runway-agent-')), 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  execFileSync('sh', ['-c', `for i in $(seq 50); do [ -S '${socket}' ] && exit 0; sleep 0.1; done; exit 1`]);
  return { socket, process: child };
}

/** Runs a command without blocking this process: the worker that must answer it runs here too. */
function spawnText(file: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
