import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  accessLine,
  httpRequestRecorder,
  nameServerSpan,
  problemFor,
  requestIdFrom,
  runWithRequestContext,
  securityHeaders,
  ValidationError,
  writeProblem,
  type AppError,
  type Logger,
  type MetricsRegistry,
  type RequestFailure,
} from '@shop/service-kit';
import { clientOf } from '../domain/client-address';
import { accessFor, hasDotSegment, isCredentialAttempt, type RouteMatch } from '../domain/routing';
import type { Admission } from '../middleware/admission';
import { simpleCorsHeaders } from '../middleware/cors';
import { assertMayCall, callerOf, sessionOf } from '../middleware/identity';
import { PayloadTooLargeError, type GatewayProxy } from '../upstreams/proxy';

export interface GatewayRouteSettings {
  proxy: GatewayProxy;
  admission: Admission;
  logger: Logger;
  metrics: MetricsRegistry;
  jwtSecret: string;
  bodyLimitBytes: number;
  /** Proxy hops in front of the gateway whose X-Forwarded-* is believed (TRUST_PROXY). */
  trustedHops: number;
  corsOrigins: readonly string[];
}

export interface GatewayRoutes {
  /** Serves one request to a gateway route; every outcome, failures included, is answered. */
  serve(req: IncomingMessage, res: ServerResponse, match: RouteMatch): void;
}

/**
 * The proxied routes (`/api{/v1}/<resource>{/*rest}`): check the path, count the request and
 * check the caller's session in one Redis round trip, check the caller, and stream the request to
 * an instance. Nothing here reads the body.
 *
 * These are served with plain `node:http`, not Express, because they are the gateway's hot path:
 * Express's per-request work (its request and response prototypes, a router layer per middleware,
 * header by header `setHeader`) was the larger part of what the gateway spent on a proxied read.
 * What the kit's Express skeleton gives every other route is done here too, from the same kit
 * pieces: the request id and its context, helmet's headers, CORS, the access line, the HTTP
 * metrics, problem details. Everything else (probes, metrics, docs, preflights, 404s) is Express.
 */
export function gatewayRoutes(settings: GatewayRouteSettings): GatewayRoutes {
  const { proxy, admission, jwtSecret, bodyLimitBytes, trustedHops } = settings;
  // The proxy adds them to upstream answers itself, where the upstream has not set them.
  const security = securityHeaders();
  const corsHeaders = simpleCorsHeaders(settings.corsOrigins);
  const logWhenClosed = accessLine({ logger: settings.logger });
  const recorder = httpRequestRecorder(settings.metrics);

  async function checkAndForward(
    req: IncomingMessage,
    res: ServerResponse,
    match: RouteMatch,
    answer: OutgoingHttpHeaders,
    fail: (error: AppError) => void,
  ): Promise<void> {
    const { route, rest } = match;
    if (rest === null) throw ValidationError('The path is not valid percent-encoding');
    const method = req.method ?? 'GET';
    const client = clientOf(
      { remoteAddress: req.socket.remoteAddress, encrypted: (req.socket as TLSSocket).encrypted },
      req.headers,
      trustedHops,
    );
    const caller = callerOf(req, jwtSecret);
    const { revoked } = await admission.admit(
      client.address,
      {
        credentialAttempt: isCredentialAttempt(route.resource, method, rest),
        sessionId: sessionOf(caller),
      },
      answer,
    );
    if (hasDotSegment(match.path)) {
      throw ValidationError('The path must not contain . or .. segments');
    }
    assertMayCall(caller, accessFor(route.resource, method, rest), revoked);
    const declaredLength = Number(req.headers['content-length'] ?? 0);
    if (declaredLength > bodyLimitBytes) throw PayloadTooLargeError(bodyLimitBytes);
    await proxy.forward(req, res, {
      upstream: route.upstream,
      url: match.upstreamUrl,
      client,
      answer,
      fail,
    });
  }

  return {
    serve(req, res, match) {
      const began = performance.now();
      const method = req.method ?? 'GET';
      const requestId = requestIdFrom(req.headers['x-request-id']);
      req.headers['x-request-id'] = requestId;
      const answer: OutgoingHttpHeaders = {
        ...corsHeaders(req.headers.origin),
        'x-request-id': requestId,
      };
      let failure: RequestFailure | undefined;
      logWhenClosed(req, res, req.url ?? '', () => failure);
      res.once('finish', () => {
        recorder.record(method, match.pattern, res.statusCode, (performance.now() - began) / 1000);
      });

      const fail = (error: unknown) => {
        // Once the upstream's headers are out, the only honest signal left is a cut connection.
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const problem = problemFor(error);
        failure = problem.failure;
        writeProblem(res, problem.error, requestId, { ...security, ...answer });
      };
      runWithRequestContext({ requestId }, () => {
        nameServerSpan(method, match.pattern);
        checkAndForward(req, res, match, answer, fail).catch(fail);
      });
    },
  };
}
