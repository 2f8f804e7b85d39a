import { UnavailableError, type AppError } from '../errors';

// Socket-level failures reaching a dependency (a database, a broker, another service).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// node-postgres says these in words, with no code: the pool could not connect in time, or the
// connection died under a query.
const LOST_CONNECTION =
  /Connection terminated|timeout exceeded when trying to connect|connection error|Connection refused/i;

/**
 * A dependency that cannot be reached is the service being unavailable (503, worth a retry), not
 * an unexpected error (500): a database outage must not look like a bug in the code. SQLSTATE
 * class 08 is a connection exception; 57P01-57P03 are the server shutting the session down.
 */
export function unreachableDependency(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const lost =
    (typeof code === 'string' &&
      (NETWORK_CODES.has(code) || /^08/.test(code) || /^57P0[123]$/.test(code))) ||
    (typeof message === 'string' && LOST_CONNECTION.test(message));
  return lost ? UnavailableError('A dependency of this service is unavailable', error) : undefined;
}
