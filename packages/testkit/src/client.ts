export interface TestResponse {
  status: number;
  headers: Headers;
  // Test bodies are asserted field by field; a precise type per endpoint would only restate them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export interface TestRequest {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** A small HTTP client for tests: JSON in, parsed JSON (or text) out, never throws on a status. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  request: TestRequest = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['content-type'] ??= 'application/json';
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body:
      request.body === undefined
        ? undefined
        : typeof request.body === 'string'
          ? request.body
          : JSON.stringify(request.body),
    signal: AbortSignal.timeout(request.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  let body: unknown = text;
  if (/json/.test(response.headers.get('content-type') ?? '') && text !== '')
    body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body, text };
}

/** `call` bound to one server. */
export function clientFor(baseUrl: string) {
  return {
    get: (path: string, request?: TestRequest) => call(baseUrl, 'GET', path, request),
    post: (path: string, body?: unknown, request?: TestRequest) =>
      call(baseUrl, 'POST', path, { ...request, body }),
    put: (path: string, body?: unknown, request?: TestRequest) =>
      call(baseUrl, 'PUT', path, { ...request, body }),
    patch: (path: string, body?: unknown, request?: TestRequest) =>
      call(baseUrl, 'PATCH', path, { ...request, body }),
    delete: (path: string, request?: TestRequest) => call(baseUrl, 'DELETE', path, request),
  };
}
