import { z } from 'zod';

/** A batch size: a count of hosts or a percentage of them (more than 0, at most 100). */
export const BatchSizeSchema = z.union(
  [
    z.number().int().min(1),
    z.string().regex(/^(100(\.0+)?|[1-9]\d?(\.\d+)?)%$/, 'expected a count or a percentage like 25%'),
  ],
  { error: 'expected a count of hosts (1 or more) or a percentage like 25%' },
);
