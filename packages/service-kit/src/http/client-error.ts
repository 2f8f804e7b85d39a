import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError, toProblem } from '../errors';

/** What Node's HTTP parser could not take, before any Express code saw a request. */
function problemFor(code: string | undefined): AppError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new AppError('headers-too-large', 'The request headers exceed 16 KB');
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new AppError('request-timeout', 'The request did not arrive in time');
  }
  return new AppError('bad-request', 'The request is not valid HTTP/1.1');
}

interface SocketWithResponse extends Duplex {
  // Node's own default handler reads this internal too: a response already under way on this
  // socket must not have a second one written into its middle.
  _httpMessage?: { headersSent?: boolean } | null;
}

/**
 * Node's default answers a request it cannot parse (headers over the limit, a malformed line)
 * with a bare status and no body; every other refusal of ours is problem details, so these are too.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const inResponse = (socket as SocketWithResponse)._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || inResponse) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const problem = problemFor(error.code);
  const body = JSON.stringify(toProblem(problem, { requestId }));
  socket.end(
    [
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}`,
      'Content-Type: application/problem+json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Request-Id: ${requestId}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
