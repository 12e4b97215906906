import { Context } from '@temporalio/activity';
import { HELP, METRIC } from '../core/metrics';

type Counter = 'hostCommands' | 'sshConnectionFailures' | 'sshHandshakes' | 'hostKeyRefusals';

/**
 * Counts on the meter of the activity running now (the worker's Prometheus endpoint, when `metrics.listen` is set);
 * outside an activity (a unit test calling the pool directly) it counts nothing.
 */
export function countInActivity(name: Counter, labels: Record<string, string>): void {
  let meter;
  try {
    meter = Context.current().metricMeter;
  } catch {
    return;
  }
  meter.createCounter(METRIC[name], undefined, HELP[name]).add(1, labels);
}
