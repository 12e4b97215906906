import { quote } from '../../core/quote';
import type { HostRef } from '../../core/plan';
import { render, type DeployContext } from './context';
import { writeFileScript } from './release';
import type { LbState } from './state';

/** The upstream include file for the web hosts on `port`; hosts in `down` are kept but marked down. */
export function upstreamConf(name: string, hosts: HostRef[], port: number, down: Set<string> = new Set()): string {
  const servers = hosts.map((h) => `  server ${h.address}:${port}${down.has(h.name) ? ' down' : ''};\n`).join('');
  return `# written by Runway: do not edit by hand\nupstream ${name} {\n${servers}}\n`;
}

/**
 * Replaces the upstream file on every load balancer with `content` and reloads nginx — only after its test command
 * accepts the new configuration; if it refuses, the previous file is put back and nginx keeps serving untouched.
 */
export async function setUpstream(ctx: DeployContext, content: (lb: HostRef) => string | undefined): Promise<void> {
  const { rb, svc, lbs } = ctx;
  const lb = svc.loadBalancer!;
  await rb.on(lbs).run((host) => {
    const file = lb.upstreamFile;
    const next = content(host);
    const test = render(ctx, lb.test, host, { version: '' });
    const reload = render(ctx, lb.reload, host, { version: '' });
    const backup = `${file}.runway-prev`;
    const write = next === undefined ? `rm -f ${quote(file)}` : writeFileScript(file, next);
    // Nothing to change (an undo after the switch itself put the file back): no test, no reload needed.
    const same =
      next === undefined
        ? `[ ! -e ${quote(file)} ]`
        : `[ -f ${quote(file)} ] && printf %s ${quote(next)} | cmp -s - ${quote(file)}`;
    return [
      `if ${same}; then echo unchanged; exit 0; fi`,
      `if [ -f ${quote(file)} ]; then cp -p ${quote(file)} ${quote(backup)}; else rm -f ${quote(backup)}; fi`,
      write,
      // Braces: a template such as `a && nginx -t` must be negated whole.
      `if ! { ${test}
}; then`,
      `  if [ -f ${quote(backup)} ]; then mv -f ${quote(backup)} ${quote(file)}; else rm -f ${quote(file)}; fi`,
      `  echo "the load balancer's test refused the new upstream; the previous one is back" >&2; exit 1`,
      'fi',
      `rm -f ${quote(backup)}`,
      reload,
    ].join('\n');
  });
}

/** Puts every load balancer's upstream file back exactly as it was read (or removes it), then tests and reloads. */
export function restoreUpstream(ctx: DeployContext, before: Map<string, LbState>): Promise<void> {
  return setUpstream(ctx, (host) => before.get(host.name)?.upstream);
}
