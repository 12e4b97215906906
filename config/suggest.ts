import type { z } from 'zod';

/**
 * "Did you mean…?" for an unknown key: the keys the schema knows where the unknown one was written, and the one a
 * typo most likely meant (`adress` → `address`, `Services` → `services`).
 */

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  options?: z.ZodType[];
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object schemas a value at `schema` may be: through optionals, defaults, pipes, unions and intersections. */
function objects(schema: z.ZodType, depth = 0): Def[] {
  if (depth > 20) return [];
  const def = defOf(schema);
  if (def.type === 'object') return [def];
  const inner = [def.innerType, def.in, def.left, def.right, ...(def.options ?? [])].filter(Boolean) as z.ZodType[];
  return inner.flatMap((s) => objects(s, depth + 1));
}

/** The schemas a value at `key` of a value of `schema` may be. */
function child(schema: z.ZodType, key: string | number, depth = 0): z.ZodType[] {
  if (depth > 20) return [];
  const def = defOf(schema);
  if (def.type === 'object') return def.shape && Object.hasOwn(def.shape, key) ? [def.shape[key]] : [];
  if (def.type === 'record') return def.valueType ? [def.valueType] : [];
  if (def.type === 'array') return def.element ? [def.element] : [];
  const inner = [def.innerType, def.in, def.left, def.right, ...(def.options ?? [])].filter(Boolean) as z.ZodType[];
  return inner.flatMap((s) => child(s, key, depth + 1));
}

/** The keys an object at `path` of `schema` may have. */
export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let here = [schema];
  for (const key of path) here = here.flatMap((s) => child(s, typeof key === 'number' ? key : String(key)));
  return [...new Set(here.flatMap(objects).flatMap((def) => Object.keys(def.shape ?? {})))];
}

/** The known key `key` most likely meant, if one is close enough to be a typo of it. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const same = known.find((k) => k.toLowerCase() === key.toLowerCase());
  if (same) return same;
  const limit = key.length < 5 ? 1 : 2;
  let best: { key: string; distance: number } | undefined;
  for (const k of known) {
    const distance = editDistance(key.toLowerCase(), k.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { key: k, distance };
  }
  return best?.key;
}

/** Levenshtein distance with adjacent swaps counted as one edit (`adress`, `taskQeueu`). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
