/**
 * The shared pure layer every other folder imports: shell quoting (`quote.ts`), `{{placeholder}}` templates
 * (`template.ts`), batches (`batches.ts`), failure types (`failures.ts`), names the workflows, worker and clients agree
 * on — lock ids, the query and updates, Web UI links (`names.ts`) — search attributes (`search-attributes.ts`), the
 * plan and progress types (`plan.ts`, `progress.ts`, derived from the zod schemas in `config/`), the exit codes a run
 * maps to (`outcome.ts`), a run's Slack message and Markdown summary (`slack-message.ts`, `run-summary.ts`), and signed
 * approvals: the message an approver signs and its checks (`approval.ts`), OpenSSH keys and `ssh-keygen -Y sign`
 * signatures verified with the @noble curves (`sshsig.ts`, `ssh-wire.ts`).
 * No Node built-ins, no I/O, no clock or randomness: ESLint enforces it, so this code runs alike in workflows,
 * activities, the worker, the CLI and the tests.
 */
export * from './batches';
export * from './failures';
export * from './names';
export * from './outcome';
export * from './plan';
export * from './progress';
export * from './quote';
export * from './run-summary';
export * from './search-attributes';
export * from './slack-message';
export * from './template';
