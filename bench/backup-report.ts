import { median } from './report';

/** What is compared: taking a copy, and restore-testing one. */
export type Op = 'backup' | 'verify';
/** Who did it: a bare script over ssh, or a Runway run. */
export type Side = 'bare' | 'runway';

/** One timed run of one round. */
export interface Timed {
  op: Op;
  side: Side;
  round: number;
  seconds: number;
  phases: Record<string, number>;
}

/** One operation's medians over rounds, Runway/bare, and each side's phases (median ms each). */
export interface OpResult {
  op: Op;
  bare: number;
  runway: number;
  ratio: number;
  /** Runway's extra seconds over bare. */
  extra: number;
  range: Record<Side, [number, number]>;
  phases: Record<Side, Record<string, number>>;
}

export const LABELS: Record<Op, { bare: string; runway: string }> = {
  backup: { bare: '`pg_dump -Fc`', runway: '`backup` run' },
  verify: { bare: '`createdb` + `pg_restore` + counts + query + `dropdb`', runway: '`backupVerify` run' },
};

function medianPhases(runs: Timed[]): Record<string, number> {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.phases)))];
  return Object.fromEntries(names.map((n) => [n, median(runs.map((r) => r.phases[n] ?? 0))]));
}

export function summarize(timed: Timed[]): OpResult[] {
  return (['backup', 'verify'] as const).map((op) => {
    const of = (side: Side) => timed.filter((t) => t.op === op && t.side === side);
    const secs = (side: Side) => of(side).map((t) => t.seconds);
    const bare = median(secs('bare'));
    const runway = median(secs('runway'));
    const range = (side: Side): [number, number] => [Math.min(...secs(side)), Math.max(...secs(side))];
    return {
      op,
      bare,
      runway,
      ratio: runway / bare,
      extra: runway - bare,
      range: { bare: range('bare'), runway: range('runway') },
      phases: { bare: medianPhases(of('bare')), runway: medianPhases(of('runway')) },
    };
  });
}

const s = (x: number) => x.toFixed(2);

/** The wall-time table, then one table of phases per operation (median ms; phases of a side do not add up exactly). */
export function markdownTables(results: OpResult[]): string {
  const walls = results.map(
    (r) =>
      `| ${r.op} | ${s(r.bare)} (${s(r.range.bare[0])}–${s(r.range.bare[1])}) | ` +
      `${s(r.runway)} (${s(r.range.runway[0])}–${s(r.range.runway[1])}) | ${r.ratio.toFixed(2)}× | ${s(r.extra)} |`,
  );
  const phaseTables = results.map((r) => {
    const rows = (side: Side) =>
      Object.entries(r.phases[side]).map(([name, ms]) => `| ${side} | ${name} | ${ms.toFixed(0)} |`);
    return [
      `### ${r.op}: ${LABELS[r.op].bare} beside a ${LABELS[r.op].runway}, median ms per phase`,
      '',
      '| side | phase | ms |',
      '|---|---|--:|',
      ...rows('bare'),
      ...rows('runway'),
    ].join('\n');
  });
  return [
    '| operation | bare s (min–max) | Runway s (min–max) | Runway/bare | Runway extra s |',
    '|---|--:|--:|--:|--:|',
    ...walls,
    '',
    ...phaseTables.flatMap((t) => [t, '']),
  ].join('\n');
}
