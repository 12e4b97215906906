/**
 * Cron expressions as Temporal's schedules take them, in UTC: five fields (minute, hour, day of month, month, day of
 * week), each `*`, a value, a range `a-b`, a step `…/n`, or a list of them; months and days also by name, a day of
 * week also as its nth in the month (`MON#2`). Temporal refuses `?`, `L` and `W`; so does `runway config check`,
 * before `runway schedules apply` would.
 */

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** `MON#2`: the second Monday of the month. */
  nth?: boolean;
}

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], nth: true },
];

export const CRON_SHORTHANDS = ['@hourly', '@daily', '@weekly', '@monthly', '@yearly'];

const HINT = 'a cron expression of 5 fields ("0 2 * * *", in UTC) or { every: 1d }';

/** Why `text` is not a cron expression Runway schedules, or undefined when it is one. */
export function cronProblem(text: string): string | undefined {
  if (CRON_SHORTHANDS.includes(text)) return undefined;
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5 || text.trim() === '') return `expected ${HINT}, got ${JSON.stringify(text)}`;
  for (const [i, field] of FIELDS.entries()) {
    const problem = fieldProblem(fields[i], field);
    if (problem) return `${field.name} ${JSON.stringify(fields[i])}: ${problem} (expected ${HINT})`;
  }
  return undefined;
}

function fieldProblem(text: string, field: Field): string | undefined {
  const range = `expected ${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : ''}`;
  const value = (v: string): number | undefined => {
    const named = field.names?.indexOf(v.toUpperCase()) ?? -1;
    if (named >= 0) return named + (field.min === 1 ? 1 : 0);
    if (!/^\d{1,2}$/.test(v)) return undefined;
    const n = Number(v);
    return n >= field.min && n <= field.max ? n : undefined;
  };
  for (const part of text.split(',')) {
    const [base, step, extra] = part.split('/');
    if (extra !== undefined || (step !== undefined && !/^[1-9]\d{0,1}$/.test(step))) return 'a step is /1 to /99';
    if (base === '*') continue;
    const nth = field.nth && step === undefined ? /^([^-#]+)#([1-5])$/.exec(base) : null;
    const [from, to, more] = nth ? [nth[1]] : base.split('-');
    if (more !== undefined) return range;
    const a = value(from);
    const b = to === undefined ? a : value(to);
    if (a === undefined || b === undefined) return range;
    if (b < a) return `the range ${base} runs backwards`;
  }
  return undefined;
}
