import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accepts, freePort, until } from './process';

/**
 * A real Prometheus for the sandbox (Debian's `prometheus`), on a free loopback port, scraping the given targets every
 * second, with its own storage under `dir`. `query` asks its HTTP API for an instant vector.
 */
export interface SandboxPrometheus {
  url: string;
  /** An instant query: each series' labels and value. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  dir: string;
  /** `host:port` of each `/metrics` endpoint, scraped as job `runway`. */
  targets: string[];
  /** Rule files to load (alert rules). */
  ruleFiles?: string[];
}

export async function startPrometheus(o: PrometheusOptions): Promise<SandboxPrometheus> {
  mkdirSync(join(o.dir, 'data'), { recursive: true });
  const port = await freePort();
  const config = join(o.dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      ...(o.ruleFiles?.length ? ['rule_files:', ...o.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
      'scrape_configs:',
      '  - job_name: runway',
      `    static_configs: [{ targets: [${o.targets.map((t) => JSON.stringify(t)).join(', ')}] }]`,
      '',
    ].join('\n'),
  );
  const log = join(o.dir, 'prometheus.log');
  writeFileSync(log, '');
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${config}`, `--storage.tsdb.path=${join(o.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const append = (d: Buffer) => writeFileSync(log, d, { flag: 'a' });
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  process.once('exit', () => child.exitCode === null && child.kill('SIGKILL'));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await until(10_000, async () => child.exitCode !== null || child.signalCode !== null);
  };
  if (!(await until(20_000, () => accepts('127.0.0.1', port)))) {
    await stop();
    throw new Error(`prometheus did not start: ${readFileSync(log, 'utf8').slice(-1500)}`);
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      if (body.status !== 'success') throw new Error(`prometheus: ${expr}: ${body.error}`);
      return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    stop,
  };
}
