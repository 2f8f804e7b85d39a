import type { IncomingHttpHeaders } from 'node:http';
import express, {
  type Express,
  type NextFunction,
  type Request,
  type Response,
  type Router,
} from 'express';
import helmet from 'helmet';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { httpMetrics, type MetricsRegistry } from '../metrics';
import { accessLog } from './access-log';
import { healthRoutes, type ReadinessCheck } from './health';
import { notFoundHandler, problemHandler } from './error-handler';
import { requestId } from './request-id';

export interface ServiceAppOptions {
  service: string;
  logger: Logger;
  metrics: MetricsRegistry;
  readiness?: Record<string, ReadinessCheck>;
  /**
   * Whether /metrics is served here (the default). False when the service listens on METRICS_PORT
   * for it (see `runService`), so the public port shows no internals.
   */
  publicMetrics?: boolean;
  /**
   * Requests so routine that even a slow success is logged at debug, not info (the registry's
   * heartbeats: several a minute per instance would drown everything else).
   */
  routinePaths?: RegExp;
  /** A success slower than this is logged at info (1000 ms by default); faster ones at debug. */
  slowRequestMs?: number;
  /**
   * Which hops' X-Forwarded-For to believe (Express's `trust proxy`); none by default, so a client
   * cannot pick its address. A service that keys on the caller's address believes exactly the hops
   * in front of it (`TRUST_PROXY`: the gateway's load balancers; user-service: the gateway).
   */
  trustProxy?: boolean | number | string;
  /** Largest JSON body accepted; larger ones get 413. */
  bodyLimit?: string;
  /** Middleware that must run before the JSON body parser (the gateway's proxy, for one). */
  beforeBody?: (app: Express) => void;
  /** The service's own routes. */
  routes: (app: Express) => void;
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/** Whether a request comes with a body: chunked, or a Content-Length other than 0. */
export function hasRequestBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * A body in any other format would reach handlers as `undefined` and be reported as a missing
 * field; naming the real mistake (the Content-Type) saves the caller a puzzle.
 */
function requireJsonBody() {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (hasRequestBody(req.headers) && !req.is(JSON_TYPES)) {
      throw new AppError(
        'unsupported-media-type',
        'Send the body as JSON (Content-Type: application/json)',
      );
    }
    next();
  };
}

/**
 * The skeleton every service shares: request id, access log, metrics, health routes, JSON body,
 * then the service's routes, then 404 and problem-details errors. It does not listen.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(requestId());
  // First, so /health, /ready, /metrics and every refusal carry the security headers too.
  app.use(helmet());
  app.use(
    accessLog({
      logger: options.logger,
      routinePaths: options.routinePaths,
      slowMs: options.slowRequestMs,
    }),
  );
  app.use(httpMetrics(options.metrics));
  app.use(
    healthRoutes({
      service: options.service,
      registry: options.metrics,
      readiness: options.readiness ?? {},
      metrics: options.publicMetrics ?? true,
    }),
  );
  options.beforeBody?.(app);
  app.use(express.json({ limit: options.bodyLimit ?? '100kb', type: JSON_TYPES }));
  app.use(requireJsonBody());
  options.routes(app);
  app.use(notFoundHandler());
  app.use(problemHandler(options.logger));
  return app;
}

export type { Router };
