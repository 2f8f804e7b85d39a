const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*"';
// prom-client writes `Nan` for the event-loop lag before its first sample; Prometheus reads it.
const SAMPLE = new RegExp(
  `^(${METRIC_NAME})(\\{(?:${LABEL})(?:,${LABEL})*,?\\})? (-?[0-9.e+-]+|NaN|Nan|[+-]Inf)( -?[0-9]+)?$`,
);
const COMMENT = new RegExp(`^# (HELP|TYPE) (${METRIC_NAME}) (.*)$`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export interface ParsedMetrics {
  types: Map<string, string>;
  samples: { name: string; labels: string; value: number }[];
}

/**
 * Parses the Prometheus text exposition format strictly enough to catch what would break a
 * scrape: a malformed line, an unknown type, a sample of a family declared with another type.
 */
export function parsePrometheusText(text: string): ParsedMetrics {
  const types = new Map<string, string>();
  const samples: ParsedMetrics['samples'] = [];
  text.split('\n').forEach((line, index) => {
    if (line === '') return;
    if (line.startsWith('#')) {
      const comment = COMMENT.exec(line);
      if (!comment) throw new Error(`line ${index + 1} is not a valid comment: ${line}`);
      if (comment[1] === 'TYPE') {
        if (!TYPES.has(comment[3]!)) throw new Error(`line ${index + 1} has unknown type: ${line}`);
        types.set(comment[2]!, comment[3]!);
      }
      return;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`line ${index + 1} is not a valid sample: ${line}`);
    samples.push({ name: sample[1]!, labels: sample[2] ?? '', value: Number(sample[3]) });
  });
  return { types, samples };
}

/** Whether a sample of `name` carries `label` (`key="value"`, as the exposition writes it). */
export const hasSample = (metrics: ParsedMetrics, name: string, label: string): boolean =>
  metrics.samples.some((sample) => sample.name === name && sample.labels.includes(label));
