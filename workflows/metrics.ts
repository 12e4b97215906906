import { metricMeter } from '@temporalio/workflow';
import { HELP, METRIC } from '../core/metrics';

type Name = keyof typeof METRIC;
type Labels = Record<string, string>;

/**
 * Runway's metrics from inside a run, through the workflow's metric meter: the SDK drops them while a history is
 * replayed, so a run counted once is never counted again after a worker restart. Served by the worker's Prometheus
 * endpoint when `metrics.listen` is set; nothing otherwise.
 */
export const metrics = {
  count(name: Name, labels: Labels, n = 1): void {
    if (n > 0) metricMeter.createCounter(METRIC[name], undefined, HELP[name]).add(n, labels);
  },
  observe(name: Name, seconds: number, labels: Labels): void {
    metricMeter.createHistogram(METRIC[name], 'float', 's', HELP[name]).record(Math.max(0, seconds), labels);
  },
  set(name: Name, value: number, labels: Labels): void {
    metricMeter.createGauge(METRIC[name], 'float', undefined, HELP[name]).set(value, labels);
  },
};
