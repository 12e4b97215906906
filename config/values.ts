import { z } from 'zod';

/**
 * Values that leave the config for a host, a shell or a socket: addresses, login names, ports, paths on a host and on
 * the worker, URLs. Each schema says in its message what it expected and what was wrong, so a value that would only
 * fail on a host (or, worse, be read as an option or a second command there) is refused by `runway config check`.
 */

/** Characters no config value that reaches a command line, a file name or a one-line message may hold. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** "a newline", "a NUL byte": which control character a value holds, in words. */
function controlName(text: string): string {
  const c = CONTROL.exec(text)![0];
  const names: Record<string, string> = { '\n': 'a newline', '\r': 'a carriage return', '\t': 'a tab', '\0': 'a NUL' };
  return names[c] ?? `control character U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A string with no control characters (newline, NUL, tab…): `what` names it in the message. */
export function plainText(what: string) {
  return z.string().superRefine((text, ctx) => {
    if (CONTROL.test(text)) ctx.addIssue({ code: 'custom', message: `${what} must not contain ${controlName(text)}` });
  });
}

export const PortSchema = z
  .number()
  .int('expected a port number (1-65535)')
  .min(1, 'expected a port number (1-65535)')
  .max(65535, 'expected a port number (1-65535)');

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function isIPv6(text: string): boolean {
  return z.ipv6().safeParse(text).success;
}

/** Why `text` is not a host name or an IP address, or undefined when it is one. */
export function addressProblem(text: string): string | undefined {
  if (text === '') return 'expected a host name or an IP address, got an empty string';
  if (CONTROL.test(text)) return `an address must not contain ${controlName(text)}`;
  if (IPV4.test(text) || isIPv6(text)) return undefined;
  if (text.startsWith('-')) return `${JSON.stringify(text)} starts with "-", which ssh would read as an option`;
  if (/^\[.*\]$/.test(text) && isIPv6(text.slice(1, -1))) return 'write an IPv6 address without brackets';
  if (/^[\d.]+$/.test(text))
    return `${JSON.stringify(text)} is not an IPv4 address (four numbers 0-255, like 10.0.0.5)`;
  if (/[:/@\s]/.test(text)) {
    return `${JSON.stringify(text)} is not a host name or an IP address (give the port in port:, the user in user:)`;
  } // A fully qualified name may end with the root's dot: web-1.example.com.
  const labels = text.replace(/(.)\.$/, '$1').split('.');
  if (text.length > 253 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels[labels.length - 1])) {
    return (
      `${JSON.stringify(text)} is not a host name or an IP address ` +
      '(a host name is labels of letters, digits and "-", joined by ".", e.g. web-1.example.com)'
    );
  }
  return undefined;
}

/** A host's address: a DNS name or an IPv4/IPv6 address, nothing ssh could take for an option or a user. */
export const HostAddressSchema = z.string().superRefine((text, ctx) => {
  const problem = addressProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A login name on a host, as `ssh -l` and useradd take it. */
export const LoginUserSchema = z.string().superRefine((text, ctx) => {
  if (/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(text)) return;
  const why = text.startsWith('-')
    ? `${JSON.stringify(text)} starts with "-", which ssh would read as an option`
    : `${JSON.stringify(text)} is not a login name`;
  ctx.addIssue({
    code: 'custom',
    message: `${why}: expected letters, digits, "_", "." or "-", starting with a letter or "_" (max 32)`,
  });
});

/** Where a relative path on a host resolves: "the login home", "the host's dir". */
export interface HostPathOptions {
  /** What a relative path is under, for the message; undefined when the path must be absolute. */
  base?: string;
  /** A file, not a directory: it must not end with "/". */
  file?: boolean;
  /** A directory Runway fills and prunes: never the root itself. */
  own?: boolean;
}

/**
 * A path on a host. `~` is not expanded there (every path is one quoted word), a relative path stays under its base
 * (no `..` climbing out of it) and an absolute one is required where nothing else makes sense.
 */
export function hostPath({ base, file, own }: HostPathOptions) {
  return z.string().superRefine((path, ctx) => {
    const problem = hostPathProblem(path, base, file) ?? (own && isRoot(path) ? ROOT_DIR : undefined);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

function hostPathProblem(path: string, base: string | undefined, file: boolean | undefined): string | undefined {
  if (path === '') return 'expected a path, got an empty string';
  if (CONTROL.test(path)) return `a path must not contain ${controlName(path)}`;
  if (path.trim() !== path) return `${JSON.stringify(path)} starts or ends with a space: quote only the path`;
  if (path.startsWith('~')) {
    return base
      ? `"~" is not expanded on the host: write the path relative to ${base}, or absolute`
      : '"~" is not expanded on the host: write an absolute path';
  }
  if (path.startsWith('-')) return `${JSON.stringify(path)} starts with "-": write ./${path}`;
  if (!base && !path.startsWith('/'))
    return `expected an absolute path (starting with "/"), got ${JSON.stringify(path)}`;
  if (file && path.endsWith('/')) return `expected a file, not a directory: ${JSON.stringify(path)} ends with "/"`;
  if (!path.startsWith('/') && climbs(path)) {
    return `${JSON.stringify(path)} climbs out of ${base} with "..": write an absolute path instead`;
  }
  return undefined;
}

const ROOT_DIR = 'this is the root directory: give a directory of its own';

/** True when an absolute path names `/` (`/`, `//`, `/./`, `/srv/..`). */
function isRoot(path: string): boolean {
  if (!path.startsWith('/')) return false;
  let depth = 0;
  for (const part of path.split('/')) {
    if (part === '..') depth = Math.max(0, depth - 1);
    else if (part !== '' && part !== '.') depth++;
  }
  return depth === 0;
}

/** True when a relative path's `..` go above where it starts. */
function climbs(path: string): boolean {
  let depth = 0;
  for (const part of path.split('/')) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * A path on the worker's machine: absolute, relative to the config file's directory, or under `~/` (the worker's
 * home). `~user/` is not expanded, so it is refused rather than read as a directory named `~user`.
 */
export const LocalPathSchema = z.string().superRefine((path, ctx) => {
  const problem =
    path === ''
      ? 'expected a path, got an empty string'
      : CONTROL.test(path)
        ? `a path must not contain ${controlName(path)}`
        : path.trim() !== path
          ? `${JSON.stringify(path)} starts or ends with a space: quote only the path`
          : path.startsWith('~') && !path.startsWith('~/')
            ? `only "~/" (your home) is expanded: write ${JSON.stringify(path)} as an absolute path`
            : undefined;
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** An http(s) URL: what Runway fetches or links to (a `file:` or `javascript:` URL is refused). */
export function httpUrl(what = 'an http or https URL') {
  return z.url({ protocol: /^https?$/, error: `expected ${what}` });
}

/** A URL path the worker requests (`/health`): starting with `/`, no spaces or control characters. */
export const UrlPathSchema = z
  .string()
  .regex(/^\/[^\s#]*$/, 'expected a path starting with / (no spaces), e.g. /health')
  .default('/health');

/** `address:port` a worker-side server listens on: an IPv4 address, `[IPv6]` or `localhost`, and a port. */
export const ListenSchema = z.string().superRefine((text, ctx) => {
  const match = /^(.*):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? '';
  const port = Number(match?.[2]);
  const hostOk = IPV4.test(host) || host === 'localhost' || (/^\[.*\]$/.test(host) && isIPv6(host.slice(1, -1)));
  if (!match || !hostOk || port < 1 || port > 65535) {
    ctx.addIssue({
      code: 'custom',
      message: `expected address:port, e.g. 127.0.0.1:9464 (0.0.0.0:9464 to be reached from other machines), got ${JSON.stringify(text)}`,
    });
  }
});

/** The port of an `address:port`. */
export function listenPort(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}
