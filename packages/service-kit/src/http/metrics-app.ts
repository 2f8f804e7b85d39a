import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from '../logger';
import type { MetricsRegistry } from '../metrics';
import { notFoundHandler, problemHandler } from './error-handler';
import { metricsRoute } from './health';
import { requestId } from './request-id';

/**
 * The listener of METRICS_PORT: /metrics and nothing else, so Prometheus can scrape inside the
 * network while the public port shows no Node version, route table or traffic.
 */
export function createMetricsApp(options: { registry: MetricsRegistry; logger: Logger }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestId());
  app.use(helmet());
  app.use(metricsRoute(options.registry));
  app.use(notFoundHandler());
  app.use(problemHandler(options.logger));
  return app;
}
