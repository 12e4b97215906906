import type { ServiceConfig } from '../config';
import type { SandboxNginx } from './nginx';

/** How the demo service is deployed: its strategy, ports, and where its artifacts are built. */
export interface DemoServiceOptions {
  name?: string;
  strategy: ServiceConfig['strategy'];
  nginx: SandboxNginx;
  artifactsDir: string;
  /** Fetch releases over HTTP from here (`<url>/demo-app-<version>.tar.gz` and its `.sha256`) instead of uploading. */
  artifactUrl?: string;
  /** blue-green: slot ports; rolling: the one port. */
  ports?: { blue: number; green: number } | number;
  batchSize?: string | number;
  maxFailures?: number;
  drainWait?: string;
  healthTimeout?: string;
  env?: Record<string, string>;
  /** Secret references by variable name, e.g. `{ DB_URL: { file: '/run/secrets/db' } }` (see services.secrets). */
  secrets?: Record<string, Record<string, string>>;
  /**
   * Rolling only: start and stop only mark the release running (`<dir>/running`) and one farm process answers for
   * every host (examples/demo-app/farm.js), so a fleet of hundreds of hosts needs no process per host.
   */
  light?: boolean;
}

/**
 * The `services:` entry for the demo app (examples/demo-app) on sandbox hosts: start/stop templates that run it in
 * the background with a pid file per slot, an HTTP health gate that also checks the version, and the sandbox nginx
 * as the load balancer. Shows what a real service's entry looks like.
 */
export function demoServiceYaml(o: DemoServiceOptions): string {
  const name = o.name ?? 'app';
  const pid = o.strategy === 'blue-green' ? '{{dir}}/{{slot}}.pid' : '{{dir}}/app.pid';
  const log = o.strategy === 'blue-green' ? '{{dir}}/{{slot}}.log' : '{{dir}}/app.log';
  // FAIL_START in the service dir makes a host refuse to start (an injected command failure in tests); HOLD_START makes
  // it wait that many seconds first (a slow start, so a test can act while the command runs). The braces keep `$!` the
  // pid of node itself (setsid execs it), which the stop template signals.
  let start =
    `if [ -e {{dir}}/FAIL_START ]; then echo 'FAIL_START is set' >&2; exit 1; fi; ` +
    `if [ -e {{dir}}/HOLD_START ]; then sleep "$(cat {{dir}}/HOLD_START)"; fi; ` +
    `echo {{slot}} {{version}} >> {{dir}}/starts.log; cd {{release}} && ` +
    `{ ADDRESS={{address}} PORT={{port}} HEALTH_SWITCH_DIR={{dir}} setsid nohup node app.js >> ${log} 2>&1 < /dev/null & ` +
    `echo $! > ${pid}; }`;
  // Waits for the old process to finish its requests (SIGTERM drains) and exit, so the port is free for a restart.
  // An exited process counts as gone even before its parent reaps it (state Z in /proc): the port is already free.
  const running = '[ -d /proc/$p ] && [ "$(cut -d" " -f3 /proc/$p/stat 2>/dev/null)" != Z ]';
  let stop = `if [ -f ${pid} ]; then p=$(cat ${pid}); kill $p 2>/dev/null; i=0; while ${running} && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; rm -f ${pid}; fi`;
  if (o.light) {
    if (o.strategy !== 'rolling') throw new Error('demo service: light is for rolling services');
    start =
      `if [ -e {{dir}}/FAIL_START ]; then echo 'FAIL_START is set' >&2; exit 1; fi; ` +
      `echo {{slot}} {{version}} >> {{dir}}/starts.log; cp {{release}}/VERSION {{dir}}/running.new && ` +
      `mv -f {{dir}}/running.new {{dir}}/running`;
    stop = 'rm -f {{dir}}/running';
  }
  const ports =
    typeof o.ports === 'number'
      ? [`    port: ${o.ports}`]
      : [`    slots: { blue: ${o.ports?.blue ?? 18001}, green: ${o.ports?.green ?? 18002} }`];
  const lines = [
    `  ${name}:`,
    `    strategy: ${o.strategy}`,
    '    roles: [web]',
    `    dir: ${name}`,
    o.artifactUrl
      ? `    artifact: { url: "${o.artifactUrl}/demo-app-{{version}}.tar.gz", sha256Url: "${o.artifactUrl}/demo-app-{{version}}.tar.gz.sha256" }`
      : `    artifact: { file: ${JSON.stringify(`${o.artifactsDir}/demo-app-{{version}}.tar.gz`)} }`,
    `    start: ${JSON.stringify(start)}`,
    `    stop: ${JSON.stringify(stop)}`,
    `    health: { http: { path: /health, expectBody: "ok {{version}}" }, timeout: ${o.healthTimeout ?? '10s'}, interval: 200ms }`,
    ...ports,
    '    loadBalancer:',
    '      role: lb',
    `      upstreamFile: ${JSON.stringify(o.nginx.upstreamFile)}`,
    `      upstream: ${o.nginx.upstreamName}`,
    // FAIL_LB_TEST in the load balancer's service dir makes the test refuse (an injected nginx -t failure in tests).
    `      test: ${JSON.stringify(`[ ! -e {{dir}}/FAIL_LB_TEST ] && ${o.nginx.testCommand}`)}`,
    `      reload: ${JSON.stringify(o.nginx.reloadCommand)}`,
    // drainWait is read by blue-green only; a rolling service that gave it would be refused.
    ...(o.strategy === 'blue-green' ? [`    drainWait: ${o.drainWait ?? '1s'}`] : []),
    ...(o.batchSize !== undefined ? [`    batchSize: ${JSON.stringify(o.batchSize)}`] : []),
    ...(o.maxFailures !== undefined ? [`    maxFailures: ${o.maxFailures}`] : []),
    `    env: ${JSON.stringify(o.env ?? { GREETING: 'hello' })}`,
    ...(o.secrets ? [`    secrets: ${JSON.stringify(o.secrets)}`] : []),
  ];
  return lines.join('\n') + '\n';
}
