import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { filesUnder, readText, serviceNames } from './support';

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs?: { targets: string[] }[];
  dns_sd_configs?: { names: string[]; port: number }[];
}

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
}

interface ComposeFile {
  services: Record<
    string,
    {
      environment?: Record<string, string | number>;
      volumes?: string[];
      ports?: string[];
      profiles?: string[];
      command?: string[];
    }
  >;
}

const prometheus = parse(readText('deploy/observability/prometheus.yml')) as {
  rule_files?: string[];
  scrape_configs: ScrapeConfig[];
};
const dashboardFile = 'deploy/observability/grafana/dashboards/shop-overview.json';
const dashboard = JSON.parse(readText(dashboardFile)) as { uid: string; panels: Panel[] };
const datasources = parse(
  readText('deploy/observability/grafana/provisioning/datasources/prometheus.yml'),
) as { datasources: { uid: string; url: string }[] };
const compose = parse(readText('docker-compose.yml'), { merge: true }) as ComposeFile;

/** Metric names the code registers with prom-client (`new promClient.Counter({ name: '...' })`). */
function metricsInCode(): Set<string> {
  const sources = [...serviceNames.map((service) => `${service}/src`), 'packages']
    .flatMap((dir) => filesUnder(dir))
    .filter((file) => /\/src\/.*\.ts$/.test(file));
  const names = new Set<string>();
  for (const file of sources) {
    const text = readText(file);
    for (const match of text.matchAll(
      /new (?:promClient|client)\.(Counter|Gauge|Histogram|Summary)\b[^(]*\(\s*\{\s*name:\s*'([a-zA-Z_:][\w:]*)'/g,
    )) {
      const [, type, name] = match as unknown as [string, string, string];
      names.add(name);
      if (type === 'Histogram' || type === 'Summary') {
        for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      }
    }
  }
  return names;
}

/** The metric names a PromQL expression reads (labels, functions and ranges taken out). */
function metricsInExpression(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  return [...bare.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)]
    .map((match) => match[1]!)
    .filter((word) => word.includes('_') && !/^\d/.test(word));
}

const expressions = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
);

describe('Prometheus and Grafana (docker compose --profile observability)', () => {
  test('when Prometheus scrapes, then every service is a target on the port serving /metrics', () => {
    for (const service of serviceNames) {
      const environment = compose.services[service]?.environment;
      const port = environment?.METRICS_PORT ?? environment?.PORT;
      assert.ok(port, `${service} has no PORT in docker-compose.yml`);
      const scraped = prometheus.scrape_configs.some(
        (job) =>
          (job.metrics_path ?? '/metrics') === '/metrics' &&
          ((job.dns_sd_configs ?? []).some(
            (sd) => sd.names.includes(service) && sd.port === Number(port),
          ) ||
            (job.static_configs ?? []).some((sc) => sc.targets.includes(`${service}:${port}`))),
      );
      assert.ok(scraped, `no scrape job reads ${service}:${port}/metrics`);
    }
  });

  test('when the gateway serves metrics, then on port 9400 inside the network, never published', () => {
    const gateway = compose.services['api-gateway'];
    assert.equal(gateway?.environment?.METRICS_PORT, 9400);
    assert.ok(!(gateway.ports ?? []).some((mapping) => String(mapping).includes('9400')));
  });

  test('when the observability profile runs, then Jaeger takes OTLP and every service sends to it', () => {
    const jaeger = compose.services.jaeger;
    assert.deepEqual(jaeger?.profiles, ['observability']);
    assert.ok(jaeger.ports?.includes('127.0.0.1:16686:16686'), 'the Jaeger UI on localhost:16686');
    for (const service of serviceNames) {
      assert.equal(
        compose.services[service]?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT,
        '${OTEL_EXPORTER_OTLP_ENDPOINT-http://jaeger:4318}',
        service,
      );
    }
  });

  test('when Compose starts Prometheus, then the alert rules are mounted where prometheus.yml loads them', () => {
    const service = compose.services.prometheus;
    assert.ok(service, 'no prometheus service in docker-compose.yml');
    assert.ok(service.command?.includes('--config.file=/etc/prometheus/prometheus.yml'));
    const ruleFiles = prometheus.rule_files ?? [];
    assert.ok(ruleFiles.includes('alerts.yml'), 'prometheus.yml loads alerts.yml');
    for (const file of ruleFiles) {
      // Relative to the config file; Prometheus loads no rules, without a word, from a missing one.
      assert.ok(
        (service.volumes ?? []).includes(
          `./deploy/observability/${file}:/etc/prometheus/${file}:ro`,
        ),
        `${file} is not mounted beside /etc/prometheus/prometheus.yml`,
      );
    }
  });

  test('when a panel queries a metric, then the code registers a metric of that name', () => {
    const known = metricsInCode();
    for (const name of ['http_request_duration_seconds', 'http_requests_total', 'outbox_pending']) {
      assert.ok(known.has(name), `the code no longer registers ${name}`);
    }
    for (const { panel, expr } of expressions) {
      for (const metric of metricsInExpression(expr)) {
        // rabbitmq_* comes from the broker's own plugin, not from our code.
        if (metric.startsWith('rabbitmq_')) continue;
        assert.ok(known.has(metric), `panel "${panel}" reads ${metric}, which no service exports`);
      }
    }
  });

  test('when the dashboard opens, then it shows rate, errors, p50/p95/p99, orders and the outbox', () => {
    const all = expressions.map(({ expr }) => expr).join('\n');
    assert.match(all, /rate\(http_requests_total/);
    assert.match(all, /status_code=~"5\.\."/);
    for (const quantile of ['0.5', '0.95', '0.99']) {
      assert.match(
        all,
        new RegExp(
          `histogram_quantile\\(${quantile.replace('.', '\\.')}, .*http_request_duration_seconds_bucket`,
        ),
        `no p${quantile.slice(2).padEnd(2, '0')} latency panel`,
      );
    }
    assert.match(all, /\boutbox_pending\b/);
    assert.match(all, /\borders_\w+/);
    assert.match(all, /\brabbitmq_detailed_queue_messages_ready\b/);
  });

  test('when the saga is watched, then panels show its latency by outcome, the outbox lag and the dead letters', () => {
    const panelReading = (pattern: RegExp) =>
      expressions.find(({ expr }) => pattern.test(expr))?.panel;
    assert.ok(
      panelReading(
        /histogram_quantile\(0\.99, sum by \(status, le\) \(rate\(order_time_to_final_seconds_bucket/,
      ),
      'no saga latency (accepted to final) panel by final status',
    );
    assert.ok(
      panelReading(/\boutbox_oldest_pending_age_seconds\b/),
      'no outbox lag panel (oldest unpublished row)',
    );
    assert.ok(
      panelReading(/\bmessaging_queue_messages\{queue=~"\.\+\\\\\.dead"\}/),
      'no dead-letter queue depth panel',
    );
  });

  test('when Grafana provisions, then the dashboard uses the provisioned Prometheus datasource', () => {
    const [datasource] = datasources.datasources;
    assert.equal(datasource?.url, 'http://prometheus:9090');
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      assert.equal(panel.datasource?.uid, datasource.uid, `panel "${panel.title}" datasource`);
    }
    const mounts = compose.services.grafana?.volumes ?? [];
    assert.ok(
      mounts.includes('./deploy/observability/grafana/dashboards:/etc/grafana/dashboards:ro'),
      'the dashboards folder is not mounted where the provider reads it',
    );
    const provider = parse(
      readText('deploy/observability/grafana/provisioning/dashboards/shop.yml'),
    ) as { providers: { options: { path: string } }[] };
    assert.equal(provider.providers[0]?.options.path, '/etc/grafana/dashboards');
  });
});
