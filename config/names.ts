import { z } from 'zod';

/** A name used as a key in config and on the command line: hosts, roles, environments, services. */
export const NameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/i, 'expected a name of letters, digits, ".", "_" or "-" (max 63)');
