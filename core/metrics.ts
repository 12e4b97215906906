/**
 * Runway's Prometheus metrics: names, units and help, shared by the workflows and activities that record them, the
 * alert rules and the dashboard in `ops/`, and the tests that check both. Labels are bounded: runbook, environment,
 * service, host, set, drill, certificate and endpoint come from config; outcome from a fixed list. Never a version, a
 * run id or free text. Timestamps are Unix seconds, so an age is `time() - metric`.
 */
export const METRIC = {
  runsStarted: 'runway_runs_started',
  runsEnded: 'runway_runs_ended',
  runDuration: 'runway_run_duration_seconds',
  steps: 'runway_steps',
  stepDuration: 'runway_step_duration_seconds',
  rollbacks: 'runway_rollbacks',
  gateWaitingSince: 'runway_gate_waiting_since_timestamp_seconds',
  gateTimeout: 'runway_gate_timeout_seconds',
  hostCommands: 'runway_host_commands',
  sshConnectionFailures: 'runway_ssh_connection_failures',
  sshHandshakes: 'runway_ssh_handshakes',
  hostKeyRefusals: 'runway_host_key_refusals',
  slackUndelivered: 'runway_slack_undelivered',
  backupNewestCopy: 'runway_backup_newest_copy_timestamp_seconds',
  backupNewestVerified: 'runway_backup_newest_verified_timestamp_seconds',
  backupCopyMaxAge: 'runway_backup_copy_max_age_seconds',
  backupVerifiedMaxAge: 'runway_backup_verified_max_age_seconds',
  drillLast: 'runway_drill_last_timestamp_seconds',
  drillPassed: 'runway_drill_passed',
  drillRto: 'runway_drill_rto_seconds',
  drillRpo: 'runway_drill_rpo_seconds',
  drillRtoObjective: 'runway_drill_rto_objective_seconds',
  drillRpoObjective: 'runway_drill_rpo_objective_seconds',
  drillMaxAge: 'runway_drill_max_age_seconds',
  certificateNotAfter: 'runway_certificate_not_after_timestamp_seconds',
  certificateRenewBefore: 'runway_certificate_renew_before_seconds',
} as const;

export const HELP: Record<keyof typeof METRIC, string> = {
  runsStarted: 'Runs whose plan was resolved (or refused), by runbook, environment and service',
  runsEnded: 'Runs ended, by runbook, environment, service and outcome (succeeded, failed, rollback-incomplete, …)',
  runDuration: 'Run duration in seconds, start to end, by runbook, environment and outcome',
  steps: 'Saga steps ended, by runbook and outcome (succeeded, failed)',
  stepDuration: 'Saga step duration in seconds, by runbook',
  rollbacks: 'Rollbacks run, by runbook, environment, service and whether they completed (complete="false": a human)',
  gateWaitingSince:
    'When the run now waiting at an approval gate started waiting (0 when none waits), by runbook, environment, service',
  gateTimeout: "The approval gate's timeout in seconds, by runbook, environment and service",
  hostCommands: 'Commands run on hosts, by host and outcome (ok, exit-nonzero, error)',
  sshConnectionFailures: 'ssh connections that could not be made, by host',
  sshHandshakes:
    'ssh connections made (handshake and login completed), by host: one per host and worker while its connection lives; more means it dropped and was made again',
  hostKeyRefusals: 'ssh connections refused because the host key did not match known_hosts, by host',
  slackUndelivered: 'Slack messages a run could not deliver (handed to a delivery workflow), by runbook',
  backupNewestCopy: 'When the newest copy of a backup set was taken, by set',
  backupNewestVerified: 'When the newest copy that passed a restore test was taken, by set',
  backupCopyMaxAge: "The set's alert.copyOlderThan in seconds: an older newest copy is a problem",
  backupVerifiedMaxAge: "The set's alert.verifiedOlderThan in seconds: an older newest verified copy is a problem",
  drillLast: 'When the last DR drill of a drill ended, by drill',
  drillPassed: 'Whether the last DR drill passed (1) or failed (0), by drill',
  drillRto: "The last DR drill's measured RTO in seconds (start to app healthy), by drill",
  drillRpo: "The last DR drill's measured RPO in seconds (start minus the copy's data timestamp), by drill",
  drillRtoObjective: "The drill's RTO objective in seconds",
  drillRpoObjective: "The drill's RPO objective in seconds",
  drillMaxAge: "How old the last drill may be before it counts as not run on schedule (1.5 × its schedule's interval)",
  certificateNotAfter: 'The not-after of the certificate an endpoint serves, by certificate and endpoint (host:port)',
  certificateRenewBefore: "A certificate's renew-before, in seconds, by certificate",
};

/** The outcomes a run ends with (its status), as the `outcome` label. */
export const RUN_OUTCOMES = [
  'succeeded',
  'failed',
  'rollback-incomplete',
  'cancelled',
  'timed-out',
  'rejected',
  'invalid',
] as const;

/** Histogram buckets in seconds: runs take minutes, steps seconds. */
export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [METRIC.runDuration]: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
  [METRIC.stepDuration]: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
};
