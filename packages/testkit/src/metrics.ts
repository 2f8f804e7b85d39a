import type { MetricsRegistry } from '@shop/service-kit';

/**
 * The sum of a metric's samples on a registry whose labels include `labels` (0 while it has none);
 * a histogram's `_count`, `_sum` and `_bucket` samples are read by those names. Tests read it
 * before and after what they do, and compare.
 */
export async function metricValue(
  registry: MetricsRegistry,
  sample: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(sample.replace(/_(count|sum|bucket)$/, ''));
  if (!metric) return 0;
  const snapshot = await metric.get();
  // Histogram samples carry their own name (`..._count`), which prom-client's type leaves out;
  // counters and gauges use the family's.
  const values: { value: number; labels: object; metricName?: string }[] = snapshot.values;
  return values
    .filter(
      (value) =>
        (value.metricName ?? snapshot.name) === sample &&
        Object.entries(labels).every(
          ([name, wanted]) => String((value.labels as Record<string, unknown>)[name]) === wanted,
        ),
    )
    .reduce((sum, value) => sum + value.value, 0);
}
