/**
 * Every shell script the deploy runbooks send to a host, built by a pure function: plain values in, one string out —
 * no `DeployContext`, no `Runbook`, no activity. The orchestration (state.ts, release.ts, instances.ts, traffic.ts,
 * blue-green.ts, rolling.ts) decides *what* runs *where*; this file says exactly *what is sent*, so
 * test/deploy-scripts.test.ts pins each builder as an exact string and runs it under `/bin/sh` with hostile values,
 * with no host and no Temporal server.
 *
 * Each value is one word through `quote`; the only shell text taken as written is the service's own command templates
 * (start, stop, health command, the load balancer's test and reload), filled by {@link renderCommand}. Runs in flight
 * and recorded histories depend on these bytes: change a script only on purpose, and its table with it.
 *
 * Deterministic workflow code: no Node built-ins, no I/O, no clock.
 */
import { quote } from '../../core/quote';
import { fillTemplate } from '../../core/template';

// ---- templates and paths ----

/** The values one instance's templates see. */
export interface Instance {
  version: string;
  slot?: string;
  port?: number;
}

/** The values of a command template's `{{placeholders}}` (the names in `PLACEHOLDERS`, config/services.ts). */
export type TemplateValues = Record<string, string | number | undefined>;

/** Fills a command template: each `{{name}}` becomes its value as one quoted word, `''` when it has none. */
export function renderCommand(template: string, values: TemplateValues): string {
  return fillTemplate(template, (name) => quote(String(values[name] ?? '')));
}

/** What `{{placeholders}}` stand for, for one instance of `service` in `dir` on one host. */
export function instanceValues(
  dir: string,
  instance: Instance,
  host: { name: string; address: string },
  service: string,
  environment: string,
): TemplateValues {
  return {
    version: instance.version,
    release: instance.slot ? `${dir}/slots/${instance.slot}` : `${dir}/current`,
    dir,
    slot: instance.slot ?? '',
    port: instance.port,
    address: host.address,
    host: host.name,
    service,
    environment,
  };
}

/** The service directory on a host: `dir` when absolute, else under the host's own dir. */
export function serviceDir(dir: string, hostDir: string): string {
  return dir.startsWith('/') ? dir : `${hostDir}/${dir}`;
}

/** Where release `version` lives in the service directory, and the tarball it is unpacked from. */
export function releasePaths(dir: string, version: string): { release: string; tarball: string } {
  return { release: `${dir}/releases/${version}`, tarball: `${dir}/releases/.${version}.tar.gz` };
}

// ---- files and links ----

/** Writes a file atomically (temp file, then rename), with exactly the given bytes. */
export function writeFileScript(path: string, content: string): string {
  return `printf %s ${quote(content)} > ${quote(`${path}.runway-new`)} && mv -f ${quote(`${path}.runway-new`)} ${quote(path)}`;
}

/** Removes a file; nothing when it is not there. */
export function removeFileScript(path: string): string {
  return `rm -f ${quote(path)}`;
}

/** Marks the live blue-green slot in `<dir>/live`, or removes the mark when `slot` is undefined. */
export function liveScript(dir: string, slot: string | undefined): string {
  return slot ? writeFileScript(`${dir}/live`, slot) : removeFileScript(`${dir}/live`);
}

/**
 * Points an instance's link at a release — `slots/<slot>` for blue-green, `current` (and `previous`) for rolling —
 * swapping the symlink atomically (`ln -s` to a temp name, then `mv -T`), or removes it when `version` is undefined.
 */
export function linkScript(dir: string, link: string, version: string | undefined): string {
  const path = `${dir}/${link}`;
  if (version === undefined) return removeFileScript(path);
  const target = link.startsWith('slots/') ? `../releases/${version}` : `releases/${version}`;
  const parent = path.slice(0, path.lastIndexOf('/'));
  return `mkdir -p ${quote(parent)} && ln -sfn ${quote(target)} ${quote(`${path}.runway-new`)} && mv -fT ${quote(`${path}.runway-new`)} ${quote(path)}`;
}

// ---- instances ----

/** Stops the instance with the service's stop template (which must succeed when nothing runs). */
export function stopScript(stop: string, values: TemplateValues): string {
  return renderCommand(stop, values);
}

/**
 * Stops the instance, then starts it: the service's own templates, with the instance's values. The start command
 * runs with its release's settings (`runway.env`) and secrets (`runway.secrets`) in its environment.
 */
export function restartScript(templates: { stop: string; start: string }, values: TemplateValues): string {
  const load = values.release === undefined ? '' : `${loadReleaseEnvScript(String(values.release))}\n`;
  return `${renderCommand(templates.stop, values)}\n${load}${renderCommand(templates.start, values)}`;
}

/**
 * Exports a release's `runway.env` (read line by line, never evaluated: a value is text, whatever it holds) and its
 * `runway.secrets` (written by Runway, each value quoted) into the shell that starts the instance. A release deployed
 * before either file existed simply has none.
 */
export function loadReleaseEnvScript(release: string): string {
  const env = quote(`${release}/runway.env`);
  const secrets = quote(`${release}/runway.secrets`);
  return [
    `if [ -r ${env} ]; then while IFS= read -r l || [ -n "$l" ]; do case $l in [A-Za-z_]*=*) export "$l";; esac; done < ${env}; fi`,
    `if [ -r ${secrets} ]; then set -a; . ${secrets}; set +a; fi`,
  ].join('\n');
}

/** How long, in whole seconds (at least one), the health command is retried. */
export function healthWaitSeconds(timeoutMs: number): number {
  return Math.max(1, Math.ceil(timeoutMs / 1000));
}

/**
 * Runs the rendered health command `check` every `intervalMs` until it succeeds (exit 0), or exits 1 after
 * {@link healthWaitSeconds}. The newline before `}` lets a template end in a comment.
 */
export function healthWaitScript(check: string, timeoutMs: number, intervalMs: number): string {
  const seconds = healthWaitSeconds(timeoutMs);
  return `end=$(( $(date +%s) + ${seconds} ))\nuntil { ${check}\n}; do [ "$(date +%s)" -ge "$end" ] && exit 1; sleep ${intervalMs / 1000}; done`;
}

// ---- releases ----

/** The `runway.env` text of a release: the service settings it is deployed with, one `KEY=value` per line. */
export function envFile(env: Record<string, string>): string {
  return Object.keys(env)
    .sort()
    .map((key) => `${key}=${env[key]}\n`)
    .join('');
}

/**
 * Writes a release's settings: `runway.env`, and `runway.secrets` (mode 0600) from the environment variables `names`,
 * which the command receives from the worker on stdin (never on a command line or in the script): each becomes one
 * `NAME='value'` line, quoted for the shell that loads it. A service without secrets leaves no such file behind.
 */
export function releaseSettingsScript(release: string, env: Record<string, string>, names: string[]): string {
  const envScript = writeFileScript(`${release}/runway.env`, envFile(env));
  const path = `${release}/runway.secrets`;
  if (names.length === 0) return `${envScript} && ${removeFileScript(path)}`;
  const temp = quote(`${path}.runway-new`);
  const escape = quote("s/'/'\\\\''/g"); // sed: each ' becomes '\''
  const lines = [...names].sort().map((name) => `printf '%s\\n' "${name}='$(printf %s "$${name}" | sed ${escape})'"`);
  return `${envScript} && (umask 077 && { ${lines.join('; ')}; } > ${temp}) && mv -f ${temp} ${quote(path)}`;
}

/** Prints the sha256 release `version` was unpacked from (nothing when it is not there); creates `releases/`. */
export function knownArtifactScript(dir: string, version: string): string {
  const { release } = releasePaths(dir, version);
  return `mkdir -p ${quote(`${dir}/releases`)} && cat ${quote(`${release}/.runway-artifact`)} 2>/dev/null || true`;
}

/** Fetches the artifact on the host; it must match the published sha256 — and the pinned one, when given. */
export function fetchScript(url: string, sha256Url: string, tarball: string, pinned?: string): string {
  const mismatch = (want: string) =>
    `{ rm -f ${quote(tarball)}; echo "sha256 mismatch: got $actual, expected ${want}" >&2; exit 1; }`;
  return [
    'set -e',
    `curl -fsSL --retry 3 -o ${quote(tarball)} ${quote(url)}`,
    `expected=$(curl -fsSL --retry 3 ${quote(sha256Url)} | cut -d ' ' -f 1)`,
    `actual=$(sha256sum ${quote(tarball)} | cut -d ' ' -f 1)`,
    `[ "$expected" = "$actual" ] || ${mismatch('$expected')}`,
    ...(pinned ? [`[ ${quote(pinned)} = "$actual" ] || ${mismatch(pinned)}`] : []),
    `printf '%s\\n' "$actual" > ${quote(`${tarball}.sha256`)}`,
  ].join('\n');
}

/** Unpacks the tarball into a temp dir and renames it into place; prints `created`, or `existing` if it was there. */
export function unpackScript(release: string, tarball: string): string {
  const temp = `${release}.runway-tmp`;
  return [
    'set -e',
    `sha=$(sha256sum ${quote(tarball)} | cut -d ' ' -f 1)`,
    `if [ -d ${quote(release)} ]; then`,
    `  [ "$(cat ${quote(`${release}/.runway-artifact`)} 2>/dev/null)" = "$sha" ] || { echo "release already on this host from another artifact: deploy it under a new version" >&2; exit 3; }`,
    `  rm -f ${quote(tarball)}; echo existing; exit 0`,
    'fi',
    `rm -rf ${quote(temp)} && mkdir -p ${quote(temp)}`,
    `tar -xzf ${quote(tarball)} -C ${quote(temp)}`,
    `printf '%s\\n' "$sha" > ${quote(`${temp}/.runway-artifact`)}`,
    `mv ${quote(temp)} ${quote(release)} && rm -f ${quote(tarball)} ${quote(`${tarball}.sha256`)}`,
    'echo created',
  ].join('\n');
}

/** Removes release `version` — unless a slot, `current` or `previous` still points at it (then exits 0, untouched). */
export function removeReleaseScript(dir: string, version: string): string {
  const links = ['slots/blue', 'slots/green', 'current', 'previous'].map((l) => quote(`${dir}/${l}`)).join(' ');
  return [
    `for l in ${links}; do [ "$(basename "$(readlink "$l" 2>/dev/null)" 2>/dev/null)" = ${quote(version)} ] && exit 0; done`,
    `rm -rf ${quote(`${dir}/releases/${version}`)}`,
  ].join('\n');
}

/** Removes the given releases (the caller has already left out every one a link points at). */
export function pruneReleasesScript(dir: string, versions: string[]): string {
  return `rm -rf ${versions.map((v) => quote(`${dir}/releases/${v}`)).join(' ')}`;
}

// ---- state ----

/** What a web host says about the service: the live slot, where each link points, the releases newest first. */
export interface HostState {
  live?: string;
  slots: { blue?: string; green?: string };
  current?: string;
  previous?: string;
  releases: string[];
}

/** Prints a host's service state as `key=value` lines (links as the version they point at); read by {@link parseState}. */
export function stateScript(dir: string): string {
  const link = (path: string) => `"$(basename "$(readlink ${quote(`${dir}/${path}`)} 2>/dev/null)" 2>/dev/null)"`;
  return [
    `printf 'live=%s\\n' "$(cat ${quote(`${dir}/live`)} 2>/dev/null)"`,
    `printf 'blue=%s\\ngreen=%s\\n' ${link('slots/blue')} ${link('slots/green')}`,
    `printf 'current=%s\\nprevious=%s\\n' ${link('current')} ${link('previous')}`,
    `printf 'releases=%s\\n' "$(ls -1t ${quote(`${dir}/releases`)} 2>/dev/null | grep -v '^\\.' | tr '\\n' ' ')"`,
  ].join('\n');
}

/** Parses {@link stateScript}'s output. */
export function parseState(stdout: string): HostState {
  const values = new Map(
    stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
  const get = (key: string) => values.get(key) || undefined;
  return {
    live: get('live'),
    slots: { blue: get('blue'), green: get('green') },
    current: get('current'),
    previous: get('previous'),
    releases: (get('releases') ?? '').split(' ').filter(Boolean),
  };
}

// ---- load balancer ----

/** Prints `present` and the upstream file's exact bytes, or `absent`; read by {@link parseUpstreamRead}. */
export function upstreamReadScript(file: string): string {
  const q = quote(file);
  return `if [ -f ${q} ]; then printf present; cat ${q}; else printf absent; fi`;
}

/** The upstream file's text from {@link upstreamReadScript}'s output, or undefined when there is none. */
export function parseUpstreamRead(stdout: string): string | undefined {
  return stdout.startsWith('present') ? stdout.slice('present'.length) : undefined;
}

/** The nginx upstream include file for `hosts` on `port`; hosts in `down` are kept but marked down. */
export function upstreamConf(
  name: string,
  hosts: Array<{ name: string; address: string }>,
  port: number,
  down: Set<string> = new Set(),
): string {
  const servers = hosts.map((h) => `  server ${h.address}:${port}${down.has(h.name) ? ' down' : ''};\n`).join('');
  return `# written by Runway: do not edit by hand\nupstream ${name} {\n${servers}}\n`;
}

/**
 * Replaces the upstream `file` with `content` (removes it when undefined) and runs `reload` — only after `test` (the
 * rendered test template) accepts it; if it refuses, the previous file is put back and the script exits 1. Prints
 * `unchanged` and does nothing when the file already is `content`.
 */
export function upstreamSwitchScript(change: {
  file: string;
  content: string | undefined;
  test: string;
  reload: string;
}): string {
  const { file, content, test, reload } = change;
  const backup = `${file}.runway-prev`;
  const staged = `${file}.runway-new`;
  // Nothing to change (an undo after the switch itself put the file back): no test, no reload needed. The content is
  // in the script once, staged beside the file and compared there: a fleet's upstream is tens of kilobytes, and every
  // batch of a rolling deploy sends it twice, each time into the run's history.
  const prepare =
    content === undefined
      ? [`if [ ! -e ${quote(file)} ]; then echo unchanged; exit 0; fi`]
      : [
          `printf %s ${quote(content)} > ${quote(staged)} || exit 1`,
          `if [ -f ${quote(file)} ] && cmp -s ${quote(staged)} ${quote(file)}; then rm -f ${quote(staged)}; echo unchanged; exit 0; fi`,
        ];
  const write = content === undefined ? removeFileScript(file) : `mv -f ${quote(staged)} ${quote(file)}`;
  return [
    ...prepare,
    `if [ -f ${quote(file)} ]; then cp -p ${quote(file)} ${quote(backup)}; else rm -f ${quote(backup)}; fi`,
    write,
    // Braces: a template such as `a && nginx -t` must be negated whole; the newline lets it end in a comment.
    `if ! { ${test}\n}; then`,
    `  if [ -f ${quote(backup)} ]; then mv -f ${quote(backup)} ${quote(file)}; else rm -f ${quote(file)}; fi`,
    `  echo "the load balancer's test refused the new upstream; the previous one is back" >&2; exit 1`,
    'fi',
    `rm -f ${quote(backup)}`,
    reload,
  ].join('\n');
}
