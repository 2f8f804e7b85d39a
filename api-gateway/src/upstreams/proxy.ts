import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createProxyMiddleware, type Plugin } from 'http-proxy-middleware';
import {
  AppError,
  UnavailableError,
  problemHandler,
  promClient,
  type Logger,
  type MetricsRegistry,
} from '@shop/service-kit';
import type { UpstreamChoice } from './directory';

/** The call to an upstream that is under way for one request. */
export interface UpstreamCall extends UpstreamChoice {
  upstreamPath: string;
  stopTimer: (labels: { status_code: number }) => void;
  proxyReq?: ClientRequest;
  timedOut?: boolean;
  bodyTooLarge?: boolean;
  settled?: boolean;
}

declare module 'express-serve-static-core' {
  interface Request {
    upstreamCall?: UpstreamCall;
  }
}

/** The kit's problem kinds have no 504; a timeout is an `unavailable` answered as 504. */
class UpstreamTimeoutError extends AppError {
  override get status(): number {
    return 504;
  }

  override get title(): string {
    return 'Gateway timeout';
  }
}

export const PayloadTooLargeError = (limitBytes: number) =>
  new AppError('payload-too-large', `The request body is larger than ${limitBytes} bytes`);

export interface GatewayProxy {
  /** Sends the request to `req.upstreamCall`, streaming its body untouched. */
  forward: RequestHandler;
  /** Starts the timer and counters for an upstream call. */
  startCall(choice: UpstreamChoice, upstreamPath: string): UpstreamCall;
}

export function createGatewayProxy(options: {
  logger: Logger;
  metrics: MetricsRegistry;
  timeoutMs: number;
  bodyLimitBytes: number;
}): GatewayProxy {
  const { logger } = options;
  const requests = new promClient.Counter({
    name: 'gateway_upstream_requests_total',
    help: 'Requests the gateway sent to each upstream, by the status the caller got',
    labelNames: ['upstream', 'status_code'],
    registers: [options.metrics],
  });
  const duration = new promClient.Histogram({
    name: 'gateway_upstream_duration_seconds',
    help: 'Time from sending a request upstream to its response headers (or failure)',
    labelNames: ['upstream', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [options.metrics],
  });
  const answerProblem = problemHandler(logger);

  function settle(call: UpstreamCall, statusCode: number): void {
    if (call.settled) return;
    call.settled = true;
    call.stopTimer({ status_code: statusCode });
    requests.inc({ upstream: call.name, status_code: statusCode });
  }

  function sendProblem(error: AppError, req: Request, res: Response): void {
    // Once the upstream's headers are out, the only honest signal left is a cut connection.
    answerProblem(error, req, res, () => res.destroy());
  }

  const events: Plugin<Request, Response> = (proxyServer) => {
    proxyServer.on('proxyReq', (proxyReq: ClientRequest, req: IncomingMessage) => {
      const call = (req as Request).upstreamCall;
      if (!call) return;
      call.proxyReq = proxyReq;
      proxyReq.once('timeout', () => (call.timedOut = true));
      // Written, never appended to: services believe this header from the gateway, so what a
      // client put in its own X-Forwarded-For must not reach them (it would let a client choose
      // the address that login throttling and rate limits count).
      const request = req as Request;
      proxyReq.setHeader('X-Forwarded-For', request.ip ?? request.socket.remoteAddress ?? '');
      proxyReq.setHeader('X-Forwarded-Proto', request.protocol);
      proxyReq.setHeader('X-Forwarded-Host', request.get('host') ?? '');
    });

    proxyServer.on('proxyRes', (proxyRes: IncomingMessage, req: IncomingMessage) => {
      const call = (req as Request).upstreamCall;
      if (!call || call.bodyTooLarge) return;
      call.breaker.recordSuccess();
      settle(call, proxyRes.statusCode ?? 502);
    });

    proxyServer.on(
      'error',
      (error: NodeJS.ErrnoException, req: IncomingMessage, res: ServerResponse | Socket) => {
        const request = req as Request;
        const call = request.upstreamCall;
        if (!call || call.bodyTooLarge) return;
        call.breaker.recordFailure();
        const failure = call.timedOut
          ? new UpstreamTimeoutError(
              'unavailable',
              `${call.name} did not answer within ${options.timeoutMs} ms`,
            )
          : UnavailableError(`${call.name} is unavailable: ${error.code ?? error.message}`, error);
        settle(call, failure.status);
        // The problem handler logs the failure; which instance it was matters only when digging.
        logger.debug(
          { err: error, upstream: call.name, target: call.target, path: call.upstreamPath },
          'upstream call failed',
        );
        if ('writeHead' in res) sendProblem(failure, request, res as Response);
        else res.destroy();
      },
    );

    // The caller hung up before the upstream answered: nothing to answer, and not the upstream's fault.
    proxyServer.on('econnreset', (_error: Error, req: IncomingMessage) => {
      const call = (req as Request).upstreamCall;
      if (call) settle(call, 499);
    });
  };

  const proxy = createProxyMiddleware<Request, Response>({
    router: (req) => req.upstreamCall!.target,
    pathRewrite: (_path, req) => req.upstreamCall!.upstreamPath,
    changeOrigin: true,
    proxyTimeout: options.timeoutMs,
    // A client that stalls while sending its body is cut off too.
    timeout: options.timeoutMs * 2,
    ejectPlugins: true,
    plugins: [events],
  });

  /**
   * Bodies stream through untouched, so the JSON parser's limit never sees them; a request that
   * declares no length (chunked) is counted as it flows and stopped at the limit.
   */
  function capBody(req: Request, res: Response): void {
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= options.bodyLimitBytes) return;
      req.off('data', onData);
      const call = req.upstreamCall!;
      call.bodyTooLarge = true;
      settle(call, 413);
      req.unpipe();
      call.proxyReq?.destroy();
      // The rest of the body is read and dropped so the client can read the answer, and the
      // connection is closed after it.
      req.resume();
      res.setHeader('Connection', 'close');
      sendProblem(PayloadTooLargeError(options.bodyLimitBytes), req, res);
    };
    // Paused first so that listening does not start the flow: bytes must not pass before the
    // proxy's pipe is attached, which resumes the stream for both.
    req.pause();
    req.on('data', onData);
  }

  return {
    forward(req: Request, res: Response, next: NextFunction) {
      capBody(req, res);
      return proxy(req, res, next);
    },
    startCall(choice, upstreamPath) {
      const stop = duration.startTimer({ upstream: choice.name });
      return { ...choice, upstreamPath, stopTimer: (labels) => void stop(labels) };
    },
  };
}
