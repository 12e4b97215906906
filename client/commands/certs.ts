import type { Command } from 'commander';
import { certLines, type CertCheckReport } from '../../core/certs';
import { ExitCode } from '../outcome';
import { InputError } from '../../config';
import {
  checkInput,
  clientConfigOf,
  printOutcome,
  readOnlyRun,
  startAndFollow,
  withClient,
  type StartOptions,
} from './common';

/**
 * `runway certs check [name…]` and `runway certs status [name…]`: a handshake with every endpoint, one line each.
 * check exits 1 when a certificate is expired, does not cover a name, differs between endpoints or is not served;
 * status also exits 1 when one is within its renew-before — so cron or a monitor can call it.
 */
export const check = (names: string[], opts: Options, command: Command) => certs(names, opts, command, false);
export const status = (names: string[], opts: Options, command: Command) => certs(names, opts, command, true);

interface Options {
  json?: boolean;
  within?: string;
}

async function certs(names: string[], opts: Options, command: Command, dueFails: boolean): Promise<number> {
  const input = names.length ? { names } : {};
  checkInput('certCheck', input);
  return withClient(command, async (runway) => {
    const outcome = await readOnlyRun(runway, 'certCheck', input, opts.within);
    if (!outcome) return ExitCode.Stopped;
    const report = outcome.report?.result as CertCheckReport | undefined;
    if (!report) {
      printOutcome(outcome, !!opts.json);
      return outcome.exitCode || ExitCode.Failed;
    }
    const due = report.certificates.filter((c) => c.due && c.problems.length === 0);
    if (opts.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(certLines(report).join('\n'));
      for (const problem of report.problems) console.error(`✗ ${problem}`);
      if (dueFails)
        for (const c of due)
          console.error(`✗ ${c.name}: ${c.daysLeft} days left, renew ${c.renewBeforeDays} days before`);
    }
    if (outcome.exitCode !== ExitCode.Succeeded) return outcome.exitCode;
    return dueFails && due.length ? ExitCode.Failed : ExitCode.Succeeded;
  });
}

/**
 * `runway certs renew [name…] [--force]`: renews each named certificate (default: every entry with acme) when due,
 * one after another — never two at once — each under its lock `cert-renew:<name>`.
 */
export async function renew(names: string[], opts: StartOptions & { force?: boolean }, command: Command) {
  const { full } = clientConfigOf(command);
  if (names.length === 0) {
    if (!full) {
      throw new InputError('name the certificates to renew: this runway.yml has only the temporal section');
    }
    names = Object.entries(full.config.certificates)
      .filter(([, c]) => c.acme)
      .map(([name]) => name);
    if (names.length === 0) throw new InputError('no certificate in runway.yml has an acme section to renew it by');
  }
  const inputs = names.map((certificate) => ({ certificate, ...(opts.force ? { force: true } : {}) }));
  for (const input of inputs) checkInput('certRenew', input);
  let worst: number = ExitCode.Succeeded;
  for (const input of inputs) {
    if (inputs.length > 1 && !opts.json) console.log(`— ${input.certificate}`);
    const code = await startAndFollow('certRenew', input, opts, command);
    worst = Math.max(worst, code);
  }
  return worst;
}
