export type ErrorKind =
  | 'bad-request'
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'request-timeout'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'unprocessable'
  | 'too-many-requests'
  | 'headers-too-large'
  | 'unavailable'
  | 'internal';

export interface FieldError {
  path: string;
  message: string;
}

const STATUS: Record<ErrorKind, number> = {
  'bad-request': 400,
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'request-timeout': 408,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
  'too-many-requests': 429,
  'headers-too-large': 431,
  unavailable: 503,
  internal: 500,
};

const TITLE: Record<ErrorKind, string> = {
  'bad-request': 'Bad request',
  validation: 'Validation failed',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  'not-found': 'Not found',
  conflict: 'Conflict',
  'request-timeout': 'Request timeout',
  'payload-too-large': 'Payload too large',
  'unsupported-media-type': 'Unsupported media type',
  unprocessable: 'Unprocessable request',
  'too-many-requests': 'Too many requests',
  'headers-too-large': 'Request header fields too large',
  unavailable: 'Service unavailable',
  internal: 'Internal server error',
};

/**
 * An error that is part of the API: it has a kind, and the service kit's error handler turns the
 * kind into an RFC 9457 problem-details answer. Routes and domain code throw these; they never
 * build error bodies themselves.
 */
export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly errors: FieldError[] | undefined;
  readonly extensions: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    kind: ErrorKind,
    detail: string,
    options: {
      errors?: FieldError[];
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.errors = options.errors;
    this.extensions = options.extensions;
    this.headers = options.headers;
  }

  get status(): number {
    return STATUS[this.kind];
  }

  get title(): string {
    return TITLE[this.kind];
  }
}

export const ValidationError = (detail: string, errors?: FieldError[]) =>
  new AppError('validation', detail, errors ? { errors } : {});
export const UnauthorizedError = (detail = 'A valid access token is required') =>
  new AppError('unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer' } });
export const ForbiddenError = (detail = 'You are not allowed to do this') =>
  new AppError('forbidden', detail);
export const NotFoundError = (detail = 'The resource does not exist') =>
  new AppError('not-found', detail);
export const ConflictError = (detail: string, extensions?: Record<string, unknown>) =>
  new AppError('conflict', detail, extensions ? { extensions } : {});
export const UnprocessableError = (detail: string, extensions?: Record<string, unknown>) =>
  new AppError('unprocessable', detail, extensions ? { extensions } : {});
export const TooManyRequestsError = (detail: string, retryAfterSeconds?: number) =>
  new AppError(
    'too-many-requests',
    detail,
    retryAfterSeconds === undefined
      ? {}
      : { headers: { 'Retry-After': String(retryAfterSeconds) } },
  );
export const UnavailableError = (detail: string, cause?: unknown) =>
  new AppError('unavailable', detail, { cause });

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export function problemType(kind: ErrorKind): string {
  return `/problems/${kind}`;
}

export function toProblem(error: AppError, context: { requestId?: string }) {
  const problem: ProblemDetails = {
    ...error.extensions,
    type: problemType(error.kind),
    title: error.title,
    status: error.status,
    detail: error.message,
  };
  if (context.requestId) problem.requestId = context.requestId;
  if (error.errors) problem.errors = error.errors;
  return problem;
}
