/** The workflows of the test worker: every shipped runbook, plus small probes that exercise the engine directly. */
export * from '../../runbooks';
export { quoteEcho } from './probes';
