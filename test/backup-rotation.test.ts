import fc from 'fast-check';
import { newestFirst, type Manifest } from '../runbooks/backup/manifest';
import { copiesToDelete } from '../runbooks/backup/rotation';

/**
 * Backup preservation (acceptance property 8) as a property: whatever sequence of backups, restore tests, injected
 * failures and rotations runs, the newest verified copy survives and no more than `keep` copies (+1 in flight) remain.
 * The model applies rotation exactly as the `backup` runbook does: the new copy's manifest and the removals in one
 * command that stops at its first failure, and — when the run fails after the copy was made — the dump step's undo,
 * which removes the new copy.
 */
type Op =
  | { kind: 'backup'; fail: 'none' | 'dump' | 'rotate'; removedBeforeFailure: number }
  | { kind: 'verify'; pick: number; pass: boolean }
  | { kind: 'wait'; hours: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('backup' as const),
    fail: fc.constantFrom('none' as const, 'none' as const, 'dump' as const, 'rotate' as const),
    removedBeforeFailure: fc.nat(5),
  }),
  fc.record({ kind: fc.constant('verify' as const), pick: fc.nat(20), pass: fc.boolean() }),
  fc.record({ kind: fc.constant('wait' as const), hours: fc.integer({ min: 1, max: 24 * 40 }) }),
);

function manifest(n: number, at: number): Manifest {
  return {
    format: 1,
    set: 'db',
    kind: 'postgres',
    id: `db-${String(n).padStart(4, '0')}`,
    file: `db-${n}.dump`,
    createdAt: new Date(at).toISOString(),
    dataTimestamp: new Date(at).toISOString(),
    sha256: 'x',
    bytes: 1,
    workflowId: 'w',
    runId: 'r',
  };
}

describe('rotation keeps the newest verified copy and at most keep (+1) copies', () => {
  test('any sequence of backups, verifications, failures and rotations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
        fc.array(op, { maxLength: 60 }),
        (count, maxAgeDays, ops) => {
          const keep = { count, maxAge: maxAgeDays && maxAgeDays * 86_400_000 };
          let copies: Manifest[] = [];
          let clock = Date.parse('2026-01-01T00:00:00Z');
          let n = 0;
          for (const o of ops) {
            const newestVerifiedBefore = newestFirst(copies).find((c) => c.verified);
            if (o.kind === 'wait') clock += o.hours * 3_600_000;
            if (o.kind === 'verify' && copies.length > 0) {
              const target = copies[o.pick % copies.length];
              if (o.pass)
                target.verified = { at: new Date(clock).toISOString(), workflowId: 'v', runId: 'v', durationMs: 1 };
            }
            if (o.kind === 'backup') {
              clock += 60_000;
              if (o.fail === 'dump') continue;
              const made = manifest(++n, clock);
              const doomed = copiesToDelete([made, ...copies], keep, made.createdAt, made.id);
              expect(doomed.map((c) => c.id)).not.toContain(made.id);
              if (o.fail === 'rotate') {
                const gone = new Set(doomed.slice(0, o.removedBeforeFailure).map((c) => c.id));
                copies = copies.filter((c) => !gone.has(c.id)); // the undo removes the new copy
              } else {
                const gone = new Set(doomed.map((c) => c.id));
                copies = [made, ...copies].filter((c) => !gone.has(c.id));
                expect(copies.length).toBeLessThanOrEqual(keep.count + 1);
                expect(copies.some((c) => c.id === made.id)).toBe(true);
              }
            }
            if (newestVerifiedBefore) {
              const newestVerifiedNow = newestFirst(copies).find((c) => c.verified);
              expect(newestVerifiedNow).toBeDefined();
              expect(newestVerifiedNow!.createdAt >= newestVerifiedBefore.createdAt).toBe(true);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a set at its limit keeps the newest copies, and an old verified one in place of the oldest of them', () => {
    const copies = [1, 2, 3, 4].map((i) => manifest(i, Date.parse('2026-01-01T00:00:00Z') + i * 3_600_000));
    copies[0].verified = { at: 'x', workflowId: 'v', runId: 'v', durationMs: 1 };
    const doomed = copiesToDelete(copies, { count: 3 }, '2026-01-02T00:00:00Z', copies[3].id);
    expect(doomed.map((c) => c.id)).toEqual(['db-0002']);
    const aged = copiesToDelete(copies, { count: 3, maxAge: 3 * 3_600_000 }, '2026-01-01T06:00:00Z', copies[3].id);
    expect(aged.map((c) => c.id).sort()).toEqual(['db-0002']);
  });
});
