import { stringify } from 'yaml';
import { quote } from '../core/quote';

/** One inventory host: where its sshd listens, and its own variables (paths, rendered command lines). */
export interface InventoryHost {
  name: string;
  address: string;
  port: number;
  vars: Record<string, string>;
}

/** The sandbox's login and trust settings, and its hosts in the `web` and `lb` groups. */
export interface InventoryOptions {
  user: string;
  keyFile: string;
  knownHostsFile: string;
  web: InventoryHost[];
  lb: InventoryHost;
}

// Ansible templates every string it reads; a rendered command line must reach the host as written.
const JINJA = /\{\{|\{%|\{#/;

/** A YAML inventory: host keys verified against the sandbox's known_hosts, exactly as Runway verifies them. */
export function inventoryYaml(o: InventoryOptions): string {
  const host = (h: InventoryHost) => {
    const bad = Object.entries(h.vars).find(([, v]) => JINJA.test(v));
    if (bad) throw new Error(`inventory ${h.name}: ${bad[0]} would be templated by Ansible: ${bad[1]}`);
    return [h.name, { ansible_host: h.address, ansible_port: h.port, ...h.vars }];
  };
  const vars = {
    ansible_user: o.user,
    ansible_ssh_private_key_file: o.keyFile,
    ansible_ssh_common_args: `-o UserKnownHostsFile=${quote(o.knownHostsFile)} -o StrictHostKeyChecking=yes`,
  };
  const group = (hosts: InventoryHost[]) => ({ hosts: Object.fromEntries(hosts.map(host)) });
  return stringify({ all: { vars, children: { web: group(o.web), lb: group([o.lb]) } } });
}

/** What the playbook needs to know: the batch size (`serial`), the LB host's name and the upstream block's name. */
export interface PlaybookOptions {
  serial: string;
  lb: string;
  upstream: string;
  healthRetries: number;
}

/**
 * The upstream file's text, as Jinja: every web host of the inventory, those of the running batch marked `down` when
 * `down`. The same bytes Runway writes, so a deploy by one after the other starts from an identical file. The newlines
 * are real ones inside Jinja string literals: Ansible keeps a `\n` escape as two characters.
 */
function upstreamJinja(o: PlaybookOptions, down: boolean): string {
  const mark = down ? ` ~ (' down' if h in ansible_play_batch else '')` : '';
  return (
    `{{ '# written by Runway: do not edit by hand\nupstream ${o.upstream} {\n' }}` +
    `{% for h in groups['web'] %}{{ '  server ' ~ hostvars[h].upstream_server${mark} ~ ';\n' }}{% endfor %}{{ '}\n' }}`
  );
}

/**
 * The LB host's script, the same steps as Runway's upstream switch: nothing to do when unchanged; else keep a backup,
 * replace the file atomically, run the test command (restoring the backup if it refuses), then reload.
 */
const SET_UPSTREAM = [
  'file={{ hostvars[lb].upstream_file | quote }}; next={{ upstream_text | quote }}',
  'if [ -f "$file" ] && printf %s "$next" | cmp -s - "$file"; then echo unchanged; exit 0; fi',
  'if [ -f "$file" ]; then cp -p "$file" "$file.runway-prev"; else rm -f "$file.runway-prev"; fi',
  'printf %s "$next" > "$file.runway-new" && mv -f "$file.runway-new" "$file"',
  'if ! { {{ hostvars[lb].lb_test }}\n}; then',
  '  if [ -f "$file.runway-prev" ]; then mv -f "$file.runway-prev" "$file"; else rm -f "$file"; fi',
  '  echo "the load balancer\'s test refused the new upstream; the previous one is back" >&2; exit 1',
  'fi',
  'rm -f "$file.runway-prev"',
  '{{ hostvars[lb].lb_reload }}',
].join('\n');

/** Unpacks the uploaded tarball into `releases/<version>` beside its sha256 and `runway.env`, as Runway does. */
const UNPACK = [
  'set -e',
  'cd {{ svc_dir | quote }}/releases; v={{ version | quote }}; tarball=".$v.tar.gz"',
  'sha=$(sha256sum "$tarball" | cut -d " " -f 1)',
  'rm -rf "$v.runway-tmp" && mkdir -p "$v.runway-tmp"',
  'tar -xzf "$tarball" -C "$v.runway-tmp"',
  `printf '%s\\n' "$sha" > "$v.runway-tmp/.runway-artifact"`,
  'printf %s {{ env_file | quote }} > "$v.runway-tmp/runway.env"',
  'mv "$v.runway-tmp" "$v" && rm -f "$tarball"',
].join('\n');

/** Points `current` at the new release and `previous` at the old one (atomic swaps), then the service's stop and start. */
const SWITCH = [
  'd={{ svc_dir | quote }}; prev=$(basename "$(readlink "$d/current")")',
  'ln -sfn releases/{{ version | quote }} "$d/current.runway-new" && mv -fT "$d/current.runway-new" "$d/current"',
  'ln -sfn "releases/$prev" "$d/previous.runway-new" && mv -fT "$d/previous.runway-new" "$d/previous"',
  '{{ stop_cmd }}',
  '{{ start_cmd }}',
].join('\n');

/**
 * Two plays: upload and unpack on every web host; then, `serial` hosts at a time, the batch leaves the upstream, its
 * hosts switch release and restart, answer `ok <version>` on their health URL (polled from the controller, as Runway's
 * worker polls it), and rejoin the upstream. Extra vars: `version`, `artifact`, `env_file`.
 */
export function playbookYaml(o: PlaybookOptions): string {
  const onLb = (name: string, down: boolean) => ({
    name,
    delegate_to: '{{ lb }}',
    run_once: true,
    vars: { upstream_text: upstreamJinja(o, down) },
    shell: SET_UPSTREAM,
  });
  const health = {
    name: 'health check from the controller',
    delegate_to: 'localhost',
    uri: { url: '{{ health_url }}', return_content: true, timeout: 5 },
    register: 'health',
    until: "health.status | default(0) == 200 and ('ok ' ~ version) in (health.content | default(''))",
    retries: o.healthRetries,
    // Whole seconds only: 0 makes the interval the uri module's own run time, the closest to Runway's 200 ms.
    delay: 0,
  };
  const plays = [
    {
      name: 'upload the release',
      hosts: 'web',
      gather_facts: false,
      tasks: [
        {
          name: 'copy the artifact',
          copy: { src: '{{ artifact }}', dest: '{{ svc_dir }}/releases/.{{ version }}.tar.gz' },
        },
        { name: 'unpack it', shell: UNPACK },
      ],
    },
    {
      name: 'roll out',
      hosts: 'web',
      serial: o.serial,
      gather_facts: false,
      vars: { lb: o.lb },
      tasks: [
        onLb('take the batch out', true),
        { name: 'switch and restart', shell: SWITCH },
        health,
        onLb('put it back', false),
      ],
    },
  ];
  return stringify(plays, { lineWidth: 0 });
}
