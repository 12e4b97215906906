import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ssh } from './ssh';
import { inventoryYaml, playbookYaml, type InventoryHost, type PlaybookOptions } from './ansible-playbook';
import { envFile, renderFor, serviceDir, type RollingWorld } from './rolling-world';

/** How long an idle ssh master of Ansible lives: longer than a whole deploy, so no host reconnects mid-run. */
const CONTROL_PERSIST = '600s';

/** Ansible's settings for the bench, as environment variables (they win over any ansible.cfg). */
function ansibleEnv(dir: string, forks: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, 'cp'),
    ANSIBLE_SSH_ARGS: `-C -o ControlMaster=auto -o ControlPersist=${CONTROL_PERSIST}`,
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_FORKS: String(forks),
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'),
    ANSIBLE_NOCOLOR: '1',
  };
}

/** Ansible pointed at a {@link RollingWorld}: its files live in `dir`, its ssh masters in `dir/cp`. */
export class AnsibleSide {
  readonly playbookFile: string;
  readonly inventoryFile: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly world: RollingWorld,
    private readonly dir: string,
    readonly forks: number,
    playbook: PlaybookOptions,
  ) {
    mkdirSync(join(dir, 'cp'), { recursive: true });
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    this.env = ansibleEnv(dir, forks);
    this.playbookFile = join(dir, 'rolling.yml');
    this.inventoryFile = join(dir, 'inventory.yml');
    writeFileSync(this.playbookFile, playbookYaml(playbook));
  }

  /** Writes the inventory with the service's stop/start/test/reload rendered for `version` on each host. */
  private writeInventory(version: string): void {
    const w = this.world;
    const web = w.web.map((h): InventoryHost => ({
      ...h,
      vars: {
        dir: h.dir,
        ansible_remote_tmp: `${h.dir}/.ansible-tmp`,
        svc_dir: serviceDir(w, h),
        stop_cmd: renderFor(w, w.service.stop, h, version),
        start_cmd: renderFor(w, w.service.start, h, version),
        upstream_server: `${h.address}:${w.port}`,
        health_url: `http://${h.address}:${w.port}${w.service.health.http?.path ?? '/health'}`,
      },
    }));
    const lbConf = w.service.loadBalancer!;
    const lb: InventoryHost = {
      ...w.lb,
      vars: {
        dir: w.lb.dir,
        ansible_remote_tmp: `${w.lb.dir}/.ansible-tmp`,
        upstream_file: lbConf.upstreamFile,
        lb_test: renderFor(w, lbConf.test, w.lb, ''),
        lb_reload: renderFor(w, lbConf.reload, w.lb, ''),
      },
    };
    const { user, clientKeyFile: keyFile, knownHostsFile } = w.sandbox;
    writeFileSync(this.inventoryFile, inventoryYaml({ user, keyFile, knownHostsFile, web, lb }));
  }

  /** Deploys `version` from `artifact` with ansible-playbook; rejects with the tail of its output if it fails. */
  deploy(version: string, artifact: string): Promise<string> {
    this.writeInventory(version);
    const vars = { version, artifact, env_file: envFile(this.world.service.env) };
    return this.run('ansible-playbook', ['-i', this.inventoryFile, this.playbookFile, '-e', JSON.stringify(vars)]);
  }

  /** Opens an ssh master to every host (an untimed `ansible all -m ping`), as a pooled worker would have them. */
  warm(): Promise<string> {
    this.writeInventory('');
    return this.run('ansible', ['all', '-i', this.inventoryFile, '-m', 'ping']);
  }

  /** Asks every ssh master of Ansible to exit (best effort; for cold runs and for cleanup). */
  async closeMasters(): Promise<void> {
    const cp = join(this.dir, 'cp');
    const sockets = existsSync(cp) ? readdirSync(cp) : [];
    await Promise.allSettled(
      sockets.map((s) => ssh(['-F', 'none', '-o', `ControlPath=${join(cp, s)}`, '-O', 'exit', 'master'])),
    );
  }

  private run(command: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd: this.dir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}:\n${out.slice(-4000)}`)),
      );
    });
  }
}
