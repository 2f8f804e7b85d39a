import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import {
  AppError,
  hasRequestBody,
  UnavailableError,
  type Logger,
  type MetricsRegistry,
} from '@shop/service-kit';
import type { Client } from '../domain/client-address';
import { endToEndHeaders, type ForwardedHeaders } from '../domain/hop-by-hop';
import type { UpstreamName } from '../domain/routing';
import type { UpstreamChoice, UpstreamDirectory } from './directory';
import { upstreamMetrics } from './metrics';
import type { UpstreamPools } from './pools';

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

/** Why a call ended without the upstream being to blame. */
type ClientFault = 'hung-up' | 'body-too-large' | 'body-timeout';

const IDEMPOTENT = new Set(['GET', 'HEAD']);

// Written by the gateway itself, never passed on from the client; `host` becomes the upstream's.
const REWRITTEN = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

/**
 * What a client says of itself that no service may hear: the forwarded headers the gateway
 * writes, and any `X-User-*` (identity headers: nothing upstream reads them, since each service
 * verifies the token itself, and none ever will from a client).
 */
const notForwarded = (name: string) => REWRITTEN.has(name) || name.startsWith('x-user-');

/** Errors of a connection that died before the upstream answered: worth one retry if idempotent. */
const DEAD_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** One proxied request, as the route handler hands it over. */
export interface ProxyCall {
  upstream: UpstreamName;
  /** The path and query upstream. */
  url: string;
  client: Client;
  /** The gateway's own headers for this answer (CORS, request id, rate limits). */
  answer: OutgoingHttpHeaders;
  /** Answers with problem details, or cuts the connection once headers are out. */
  fail(error: AppError): void;
}

export interface GatewayProxy {
  /**
   * Streams the request to an instance of its upstream and the answer back, untouched but for
   * hop-by-hop headers; the gateway's own answer headers are added where the upstream has none.
   */
  forward(req: IncomingMessage, res: ServerResponse, call: ProxyCall): Promise<void>;
}

export interface ProxySettings {
  logger: Logger;
  metrics: MetricsRegistry;
  directory: UpstreamDirectory;
  pools: UpstreamPools;
  /** From the end of the request body to the upstream's response headers. */
  timeoutMs: number;
  /** From the first to the last byte of the request body. */
  bodyTimeoutMs: number;
  bodyLimitBytes: number;
  /** Headers every answer carries unless the upstream sent its own (helmet's). */
  answerDefaults: Readonly<OutgoingHttpHeaders>;
}

function upstreamHeaders(req: IncomingMessage, client: Client): ForwardedHeaders {
  const headers = endToEndHeaders(req.headers, notForwarded);
  // Written, never appended to: services believe this header from the gateway, so what a client
  // put in its own X-Forwarded-For must not reach them (it would let a client choose the address
  // that login throttling and rate limits count).
  headers['x-forwarded-for'] = client.address;
  headers['x-forwarded-proto'] = client.protocol;
  headers['x-forwarded-host'] = req.headers.host ?? '';
  return headers;
}

/**
 * One client request on its way through: its body, its deadlines, and whether the client is
 * still there. A failure the client caused is never held against the upstream.
 */
class Exchange {
  clientFault: ClientFault | undefined;
  /** The client closed before its whole answer was written, possibly after the headers. */
  clientGone = false;
  timedOut = false;
  answered = false;
  /** The client is still sending a body the upstream may not read. */
  bodyPending = false;
  /** The attempt under way, once undici has started it; it is told to stop when this ends. */
  private attempt: Dispatcher.DispatchController | undefined;
  private stopped: Error | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private onFail: () => void = () => undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly settings: ProxySettings,
  ) {
    res.once('close', () => {
      this.clearDeadline();
      if (res.writableFinished) return;
      this.clientGone = true;
      // Before the answer a hang-up is the client's fault; during it, the rest is not wanted.
      if (this.answered) this.stop(new Error('the client closed the connection'));
      else this.fail('hung-up');
    });
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  /** The request body as a stream for undici, counted against the limit and the body deadline. */
  body(): PassThrough | null {
    if (!hasRequestBody(this.req.headers)) {
      this.startUpstreamClock();
      return null;
    }
    const { req } = this;
    const body = new PassThrough();
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > this.settings.bodyLimitBytes) {
        this.fail('body-too-large');
        return;
      }
      if (!body.write(chunk)) req.pause();
    };
    body.on('drain', () => req.resume());
    req.on('data', onData);
    this.bodyPending = true;
    req.once('end', () => {
      this.bodyPending = false;
      if (this.clientFault) return;
      body.end();
      this.startUpstreamClock();
    });
    this.deadline = setTimeout(() => this.fail('body-timeout'), this.settings.bodyTimeoutMs);
    this.onFail = () => {
      req.off('data', onData);
      // The rest of the body is read and dropped, so the client can read the answer.
      req.resume();
      body.destroy(new Error('request body refused'));
    };
    return body;
  }

  /** A new attempt has started (a retry is a new one): stop it at once if this has ended. */
  attach(attempt: Dispatcher.DispatchController): void {
    this.attempt = attempt;
    if (this.stopped) attempt.abort(this.stopped);
  }

  /** The attempt is over (answered or failed): nothing more to stop. */
  detach(): void {
    this.attempt = undefined;
  }

  fail(fault: ClientFault): void {
    if (this.clientFault || this.answered) return;
    this.clientFault = fault;
    this.clearDeadline();
    this.onFail();
    this.stop(new Error(`the request ended on the client's side: ${fault}`));
  }

  private stop(reason: Error): void {
    this.stopped = reason;
    this.attempt?.abort(reason);
  }

  private startUpstreamClock(): void {
    this.clearDeadline();
    this.deadline = setTimeout(() => {
      this.timedOut = true;
      this.stop(new Error('the upstream deadline passed'));
    }, this.settings.timeoutMs);
  }

  clearDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = undefined;
  }
}

export function createGatewayProxy(settings: ProxySettings): GatewayProxy {
  const { logger, directory, pools } = settings;
  const metrics = upstreamMetrics(settings.metrics);
  const answerDefaults = Object.entries(settings.answerDefaults);

  /**
   * One try at one instance; resolves when the whole answer is handed to the client's socket,
   * rejects before or during it. undici's dispatch API, not `stream()`: the answer goes straight
   * from undici's parser to the client's response, with no stream, abort signal or listener of
   * its own in between (they cost more than the rest of the hop).
   */
  function send(
    exchange: Exchange,
    dispatcher: Dispatcher,
    options: { path: string; headers: ForwardedHeaders; body: PassThrough | null },
    choice: UpstreamChoice,
    res: ServerResponse,
    ownHeaders: OutgoingHttpHeaders,
    stopTimer: (status: number) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      dispatcher.dispatch(
        {
          method: exchange.method as Dispatcher.HttpMethod,
          path: options.path,
          headers: options.headers,
          body: options.body,
        },
        {
          onRequestStart: (controller) => exchange.attach(controller),
          onResponseStart: (_controller, statusCode, headers) => {
            // An interim 1xx answer is the upstream's to the gateway, not the client's.
            if (statusCode < 200) return;
            exchange.answered = true;
            exchange.clearDeadline();
            choice.breaker.recordSuccess();
            stopTimer(statusCode);
            const answer: OutgoingHttpHeaders = endToEndHeaders(headers);
            // The upstream's own headers win, as they would over headers set before writeHead.
            for (const name in ownHeaders) answer[name] ??= ownHeaders[name];
            for (const [name, value] of answerDefaults) answer[name] ??= value;
            // An upstream that answers before the whole body arrived (a 401, say) leaves the rest
            // of it unread on this connection: it must close after the answer, not wait for more.
            if (exchange.bodyPending) answer.connection = 'close';
            res.writeHead(statusCode, answer);
          },
          onResponseData: (controller, chunk) => {
            if (res.destroyed) return;
            if (!res.write(chunk)) {
              controller.pause();
              res.once('drain', () => controller.resume());
            }
          },
          onResponseEnd: () => {
            exchange.detach();
            if (!res.destroyed) res.end();
            resolve();
          },
          onResponseError: (_controller, error) => {
            exchange.detach();
            reject(error);
          },
        },
      );
    });
  }

  function answerClientFault(fault: ClientFault, call: ProxyCall): number {
    if (fault === 'hung-up') return 499;
    // The client may still be sending: answer, then close, since the rest of its body is unread.
    call.answer.connection = 'close';
    const error =
      fault === 'body-too-large'
        ? PayloadTooLargeError(settings.bodyLimitBytes)
        : new AppError(
            'request-timeout',
            `The request body did not arrive within ${settings.bodyTimeoutMs} ms`,
          );
    call.fail(error);
    return error.status;
  }

  return {
    async forward(req, res, call) {
      const { upstream, url: path } = call;
      let choice = await directory.choose(upstream);
      const exchange = new Exchange(req, res, settings);
      const headers = upstreamHeaders(req, call.client);
      const body = exchange.body();
      const timer = metrics.start(upstream);
      let dispatcher: Dispatcher = pools.for(choice.target);
      // Only a request without a body can be sent twice: a streamed body is gone once sent.
      let mayRetry = body === null && IDEMPOTENT.has(exchange.method);

      try {
        for (;;) {
          try {
            await send(
              exchange,
              dispatcher,
              { path, headers, body },
              choice,
              res,
              call.answer,
              timer.stop,
            );
            return;
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code ?? '';
            if (exchange.clientFault) {
              choice.breaker.release();
              timer.stop(answerClientFault(exchange.clientFault, call));
              return;
            }
            if (exchange.answered && exchange.clientGone) {
              // The client left mid-answer; the upstream did its part (its status is recorded).
              return;
            }
            if (exchange.answered) {
              // The upstream died in the middle of its answer: cut the client off too.
              choice.breaker.recordFailure();
              res.destroy();
              return;
            }
            if (mayRetry && !exchange.timedOut && code === 'ECONNREFUSED') {
              // That instance is gone; another one may well be there.
              mayRetry = false;
              choice.breaker.recordFailure();
              try {
                choice = await directory.choose(upstream, choice.target);
              } catch (noOther) {
                timer.stop(503);
                call.fail(noOther as AppError);
                return;
              }
              dispatcher = pools.for(choice.target);
              continue;
            }
            if (mayRetry && !exchange.timedOut && DEAD_CONNECTION.has(code)) {
              // A kept-alive socket the upstream had just closed: one more try, on a new connection.
              mayRetry = false;
              const fresh = pools.fresh(choice.target);
              dispatcher = fresh;
              res.once('close', () => void fresh.close().catch(() => undefined));
              continue;
            }
            choice.breaker.recordFailure();
            const failure = exchange.timedOut
              ? new UpstreamTimeoutError(
                  'unavailable',
                  `${choice.name} did not answer within ${settings.timeoutMs} ms`,
                )
              : UnavailableError(
                  `${choice.name} is unavailable: ${code || 'connection failed'}`,
                  error,
                );
            timer.stop(failure.status);
            // The problem handler logs the failure; which instance it was matters only when digging.
            logger.debug(
              { err: error, upstream: choice.name, target: choice.target, path },
              'upstream call failed',
            );
            call.fail(failure);
            return;
          }
        }
      } finally {
        exchange.clearDeadline();
      }
    },
  };
}
