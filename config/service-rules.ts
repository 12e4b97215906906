import { given, hostsWithRole, known, type Rule, type RuleProblem } from './rule-kit';

/**
 * Rules of the `services` section: what each strategy needs and what only it uses, the roles a service names, and
 * its settings against its secrets. (What its instances hold on a host is in host-rules.ts.)
 */

/** What each strategy needs to run at all. */
export const strategyNeeds: Rule = (config) => {
  const problems: RuleProblem[] = [];
  for (const [name, svc] of Object.entries(config.services)) {
    const at = ['services', name];
    if (svc.strategy === 'blue-green') {
      if (!svc.slots)
        problems.push({
          path: [...at, 'strategy'],
          message: 'blue-green needs slots: { blue: <port>, green: <port> }',
        });
      else if (svc.slots.blue === svc.slots.green)
        problems.push({ path: [...at, 'slots'], message: 'blue and green need different ports' });
      if (!svc.loadBalancer)
        problems.push({ path: [...at, 'strategy'], message: 'blue-green needs a loadBalancer to switch traffic' });
    }
    if (svc.strategy === 'rolling' && svc.port === undefined) {
      problems.push({ path: [...at, 'strategy'], message: 'rolling needs port: the port each host serves on' });
    }
  }
  return problems;
};

/**
 * Settings only one strategy reads (see runbooks/deploy/blue-green.ts and rolling.ts), refused when written for the
 * other: a setting that would be silently ignored is a mistake to point at. Their defaults are fine.
 */
const ONLY_FOR: Record<'blue-green' | 'rolling', Record<string, string>> = {
  'blue-green': {
    slots: 'slots apply to blue-green services; a rolling service runs one instance per host, on port',
    drainWait:
      'drainWait applies to blue-green services (the wait before the old slot stops); rolling takes each host out ' +
      'of the upstream before it restarts',
  },
  rolling: {
    port: 'port applies to rolling services; a blue-green service serves on slots.blue and slots.green',
    batchSize: 'batchSize applies to rolling services; blue-green switches every host at once',
    maxFailures: 'maxFailures applies to rolling services; on blue-green any unhealthy host stops the switch',
  },
};

export const strategySettings: Rule = (config, written) => {
  const problems: RuleProblem[] = [];
  for (const [name, svc] of Object.entries(config.services)) {
    for (const [strategy, keys] of Object.entries(ONLY_FOR)) {
      if (strategy === svc.strategy) continue;
      for (const [key, message] of Object.entries(keys)) {
        if (given(written, ['services', name, key])) problems.push({ path: ['services', name, key], message });
      }
    }
  }
  return problems;
};

/** Every role a service (and its load balancer) names is held by some host, and one environment holds them all. */
export const serviceRoles: Rule = (config) => {
  const problems: RuleProblem[] = [];
  const envs = Object.entries(config.environments);
  const allRoles = new Set(envs.flatMap(([, env]) => Object.values(env.hosts).flatMap((h) => h.roles)));
  for (const [name, svc] of Object.entries(config.services)) {
    const needs: Array<[string, (string | number)[]]> = svc.roles.map((role, i) => [
      role,
      ['services', name, 'roles', i],
    ]);
    if (svc.loadBalancer) needs.push([svc.loadBalancer.role, ['services', name, 'loadBalancer', 'role']]);
    const missing = needs.filter(([role]) => !allRoles.has(role));
    for (const [role, path] of missing) {
      problems.push({ path, message: `no host in any environment has role "${role}" (roles: ${known(allRoles)})` });
    }
    if (missing.length > 0 || envs.some(([, env]) => needs.every(([role]) => hostsWithRole(env, role).length > 0)))
      continue;
    const where = needs.map(
      ([role]) => `${role}: ${envs.filter(([, env]) => hostsWithRole(env, role).length > 0).map(([n]) => n)}`,
    );
    problems.push({
      path: ['services', name, 'roles'],
      message: `no environment has a host for every role this service needs (${[...new Set(where)].join('; ')})`,
    });
  }
  return problems;
};

/** A service's settings and secrets are one environment: a name in both would be a guess which one wins. */
export const serviceSettings: Rule = (config) => {
  const problems: RuleProblem[] = [];
  for (const [name, svc] of Object.entries(config.services)) {
    for (const key of Object.keys(svc.secrets)) {
      if (Object.hasOwn(svc.env, key))
        problems.push({
          path: ['services', name, 'secrets', key],
          message: `${key} is also in env: give it in env or in secrets, not both`,
        });
    }
    const { interval, timeout } = svc.health;
    if (interval >= timeout)
      problems.push({
        path: ['services', name, 'health', 'interval'],
        message: `an interval of ${interval} ms is not shorter than the timeout (${timeout} ms): the gate would probe once`,
      });
  }
  return problems;
};
