import { AppError, ValidationError, type ErrorKind } from '../errors';

/**
 * Errors that Express's router and body parser raise about the request itself. They carry the 4xx
 * status they mean (`status`, as http-errors and the router set it); ignoring it would turn a
 * client's mistake into a 500 and an alert.
 */
interface StatusError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  code?: unknown;
}

const KIND_OF_STATUS: Partial<Record<number, ErrorKind>> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'too-many-requests',
};

function clientStatusOf(error: StatusError): number | undefined {
  const status = error.status ?? error.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** zlib's codes for a stream that is not what its Content-Encoding says (Z_DATA_ERROR, ERR_BROTLI_...). */
function isDecompressionError(error: StatusError): boolean {
  return typeof error.code === 'string' && /^(Z_|ERR_BROTLI|ERR__ERROR)/.test(error.code);
}

function detailOf(error: StatusError, status: number): string {
  switch (error.type) {
    case 'entity.too.large':
      return 'The request body is too large';
    case 'entity.parse.failed':
      return 'The request body is not valid JSON';
    case 'encoding.unsupported':
      return 'Content-Encoding must be identity, gzip, deflate or br';
    case 'charset.unsupported':
      return 'The request body must be UTF-8 JSON';
    case 'request.aborted':
      return 'The request body ended before it was complete';
    case 'request.size.invalid':
      return 'The request body does not match its Content-Length';
  }
  if (error instanceof URIError) return 'The path contains malformed percent-encoding';
  if (isDecompressionError(error)) {
    return 'The request body could not be decompressed as its Content-Encoding says';
  }
  return status === 400 ? 'The request is malformed' : 'The request cannot be served';
}

/** The problem a framework error stands for, or undefined when it is not about the request. */
export function frameworkError(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as StatusError;
  const status = clientStatusOf(candidate);
  if (status === undefined) return undefined;
  const detail = detailOf(candidate, status);
  if (candidate.type === 'entity.parse.failed') return ValidationError(detail);
  return new AppError(KIND_OF_STATUS[status] ?? 'bad-request', detail, { cause: error });
}
