import type { OutgoingHttpHeaders } from 'node:http';
import type { CorsOptions } from 'cors';

/** What a browser script may read of an answer, beside the CORS-safelisted headers. */
const EXPOSED_HEADERS = ['X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After'].join(',');

/** The cors middleware's options, for what Express serves (preflights, the docs, 404s). */
export function corsOptions(origins: readonly string[]): CorsOptions {
  return { origin: [...origins], exposedHeaders: EXPOSED_HEADERS, maxAge: 600 };
}

/**
 * The headers the cors middleware, given `corsOptions(origins)`, adds to an answer that is not a
 * preflight: the caller's origin reflected when it is allowed, `Vary: Origin` either way. For the
 * proxied routes, which are served without Express; preflights (OPTIONS) still go to cors itself.
 */
export function simpleCorsHeaders(
  origins: readonly string[],
): (origin: string | undefined) => OutgoingHttpHeaders {
  const allowed = new Set(origins);
  const denied = Object.freeze({
    vary: 'Origin',
    'access-control-expose-headers': EXPOSED_HEADERS,
  });
  return (origin) =>
    origin !== undefined && allowed.has(origin)
      ? { ...denied, 'access-control-allow-origin': origin }
      : denied;
}
