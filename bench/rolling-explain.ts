import { STEPS_PER_BATCH, STEPS_PER_WEB_HOST } from './rolling-report';

/** What the rolling bench's numbers mean, printed under its tables. */
export function explanation(forks: number, ansibleVersion: string): string {
  return [
    '**Wall times.** Runway: from `RunwayClient.start(deploy)` to its outcome, with the worker already running and its',
    'ssh pool warm (an untimed first deploy ran before). Ansible (' +
      ansibleVersion +
      '): `ansible-playbook` from exec',
    'to exit, Python start and playbook parsing included, `forks=' + forks + '` (Runway runs a command on at most as',
    'many hosts at once), `pipelining`, no fact gathering, health polled from the controller with `uri` (`delay: 0`,',
    "Ansible's delays are whole seconds; Runway polls every 200 ms). *cold*: no ssh connection open at start, each",
    "host's first task opens a ControlPersist master that later tasks reuse; *warm*: masters opened just before by an",
    "untimed `ansible all -m ping` — the closest to Runway's pooled connections. Ratio < 1: Runway was faster.",
    '',
    `**Host steps** = web hosts × ${STEPS_PER_WEB_HOST} (upload, unpack, switch links + stop + start, health check) +`,
    `batches × ${STEPS_PER_BATCH} (on lb-1: the batch out of the upstream and back in, each write + \`nginx -t\` +`,
    "reload): the remote work both tools do. Runway also reads each host's state, checks for the artifact, writes",
    '`runway.env` as a command of its own (Ansible writes it while unpacking) and prunes old releases: those commands',
    'are part of its wall time and of its activity time.',
    '',
    "**Runway's orchestration overhead per host step** = (Runway wall − time inside Runway's activities on the",
    'critical path) / host steps, with that time estimated two ways:',
    "- *report*: Σ over the run report's steps of the max over hosts of `durationMs` (a step's hosts run in parallel).",
    '  The report keeps only the last command of a step on each host and records neither SFTP uploads nor health',
    '  probes, so this undercounts time in activities: an upper bound of the overhead.',
    '- *history*: the time during which at least one activity was running (the union of its started → ended',
    '  intervals in the workflow history), so only moments when nothing ran anywhere count as overhead: a lower',
    '  bound, as dispatch delays hidden behind a slower host of the same fan-out are not counted.',
    '',
    'All hosts, nginx, the apps, Temporal, the worker and Ansible share this machine and its CPUs.',
  ].join('\n');
}
