import { known, own, hostsWithRole, type Rule, type RuleProblem } from './rule-kit';

/**
 * Rules of the `certificates` section: the environment, hosts and roles an entry names exist; renewal settings come
 * together; a domain is listed once.
 */

export const certificateReferences: Rule = (config) => {
  const problems: RuleProblem[] = [];
  for (const [name, cert] of Object.entries(config.certificates)) {
    const at = ['certificates', name];
    const env = own(config.environments, cert.environment);
    if (!env) {
      problems.push({
        path: [...at, 'environment'],
        message: `unknown environment "${cert.environment}" (known: ${known(Object.keys(config.environments))})`,
      });
      continue;
    }
    const place = (where: Array<string | number>, e: { host: string } | { role: string }) => {
      if ('host' in e && !own(env.hosts, e.host))
        problems.push({ path: [...where, 'host'], message: `no host "${e.host}" in environment ${cert.environment}` });
      if ('role' in e && hostsWithRole(env, e.role).length === 0)
        problems.push({
          path: [...where, 'role'],
          message: `no host in environment ${cert.environment} has role "${e.role}"`,
        });
    };
    cert.endpoints.forEach((e, i) => place([...at, 'endpoints', i], e));
    if (cert.acme && !cert.install)
      problems.push({ path: [...at, 'acme'], message: 'a renewed certificate needs install (hosts, paths, commands)' });
    if (cert.install && !cert.acme)
      problems.push({ path: [...at, 'install'], message: 'install needs acme: where the certificate comes from' });
    if (cert.schedule?.renew && !cert.acme)
      problems.push({ path: [...at, 'schedule', 'renew'], message: 'only an entry with acme can be renewed' });
    if (cert.acme) place([...at, 'acme', 'challenge', 'http01'], cert.acme.challenge.http01);
    if (cert.install) {
      place([...at, 'install'], cert.install);
      const files = [cert.install.certificate, cert.install.key, cert.install.chain].filter(Boolean);
      if (new Set(files).size < files.length)
        problems.push({ path: [...at, 'install'], message: 'certificate, key and chain must be different files' });
    }
    const wildcard = cert.acme && cert.domains.find((d) => d.startsWith('*.'));
    if (wildcard)
      problems.push({
        path: [...at, 'domains'],
        message: `${wildcard}: a wildcard needs the dns-01 challenge; Runway renews with http-01 only`,
      });
    cert.domains.forEach((domain, i) => {
      if (cert.domains.slice(0, i).some((d) => d.toLowerCase() === domain.toLowerCase()))
        problems.push({ path: [...at, 'domains', i], message: `${domain} is listed twice` });
    });
  }
  return problems;
};
