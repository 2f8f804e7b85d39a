import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ALERT_RULES_FILE, alertRuleMetrics, alertRules } from './alert-rules';
import { filesUnder, readText, runTool, serviceNames } from './support';

function promtool(...args: string[]) {
  const run = runTool('promtool', args);
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

/** Metric names the code registers with prom-client (`new promClient.Gauge({ name: '...' })`). */
function metricsInCode(): Set<string> {
  const names = new Set<string>();
  const sources = [...serviceNames.map((service) => `${service}/src`), 'packages']
    .flatMap((dir) => filesUnder(dir))
    .filter((file) => /\/src\/.*\.ts$/.test(file));
  for (const file of sources) {
    for (const match of readText(file).matchAll(
      /new (?:promClient|client)\.(Counter|Gauge|Histogram|Summary)\b[^(]*\(\s*\{\s*name:\s*'([a-zA-Z_:][\w:]*)'/g,
    )) {
      const [, type, name] = match as unknown as [string, string, string];
      names.add(name);
      if (type === 'Histogram' || type === 'Summary')
        for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    }
  }
  return names;
}

describe('Prometheus alert rules (deploy/observability/alerts.yml)', () => {
  test('when promtool checks the rules and the Prometheus config that loads them, then both are valid', () => {
    const rules = promtool('check', 'rules', ALERT_RULES_FILE);
    assert.ok(rules.ok, rules.output);
    const config = promtool('check', 'config', 'deploy/observability/prometheus.yml');
    assert.ok(config.ok, config.output);
    assert.match(config.output, /alerts\.yml/, 'prometheus.yml does not load alerts.yml');
  });

  test('when promtool replays series through the rules, then each alert fires on its situation only', () => {
    const run = promtool('test', 'rules', 'deploy/observability/alerts.test.yml');
    assert.ok(run.ok, run.output);
  });

  test('when an alert reads a metric, then a service registers a metric of that name', () => {
    const known = metricsInCode();
    const pairs = alertRuleMetrics();
    assert.ok(pairs.length > 0);
    for (const { alert, metric } of pairs) {
      assert.ok(known.has(metric), `alert ${alert} reads ${metric}, which no service registers`);
    }
  });

  test('when an operator is paged, then every alert the issue names exists and the README explains it', () => {
    const names = alertRules().map((rule) => rule.alert);
    assert.deepEqual(
      new Set(names),
      new Set([
        'HighErrorRate',
        'HighLatencyP99',
        'OutboxLagging',
        'DeadLettersPresent',
        'ConsumerNotConsuming',
        'OrdersStuckPending',
      ]),
    );
    const readme = readText('README.md');
    for (const name of names) assert.match(readme, new RegExp(`\\b${name}\\b`), `README: ${name}`);
  });
});
