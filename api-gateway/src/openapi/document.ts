import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { problem } from '@shop/contracts';
import { API_OPERATIONS, type ApiOperation, type DocumentedResponse } from './operations';

const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const TAGS = {
  users: 'Accounts, sessions and profiles (user-service)',
  products: 'The catalog (product-service)',
  orders: 'Orders and their lifecycle (order-service)',
  inventory: 'Stock and its audit trail (inventory-service)',
  gateway: "The gateway's own routes",
} as const;

const REQUEST_ID_HEADER = { $ref: '#/components/headers/X-Request-Id' };

/** The answers an operation gets for what it is (has input, needs a token, ...), not for what it does. */
function commonProblems(operation: ApiOperation): Record<number, DocumentedResponse> {
  const proxied = operation.tag !== 'gateway';
  const hasInput = Boolean(
    operation.params ?? operation.query ?? operation.body ?? operation.headers,
  );
  const common: Record<number, DocumentedResponse> = {};
  if (hasInput || proxied) {
    common[400] = {
      description: 'The path, query, headers or body are malformed; errors names each field',
      schema: problem,
    };
  }
  if (operation.audience !== 'anyone') {
    common[401] = {
      description: 'No access token, or one that is invalid, expired or of an ended session',
      schema: problem,
    };
  }
  if (operation.audience === 'admin') {
    common[403] = { description: 'The caller is not an admin', schema: problem };
  }
  if (operation.body) {
    common[413] = { description: 'The body is over the size limit', schema: problem };
    common[415] = { description: 'The body is not JSON', schema: problem };
  }
  if (operation.path.startsWith('/api/')) {
    common[429] = {
      description: 'Over the rate limit: wait as long as Retry-After says',
      schema: problem,
      // The gateway's limiter always sends it; a service's own throttle may not know how long.
      headers: { 'Retry-After': { description: 'Seconds to wait', required: false } },
    };
  }
  if (proxied) {
    common[502] = { description: 'The service failed to answer', schema: problem };
    common[503] = {
      description: 'No instance of the service is available, or its circuit is open',
      schema: problem,
    };
    common[504] = { description: 'The service did not answer in time', schema: problem };
  }
  return common;
}

function headerObjects(headers: NonNullable<DocumentedResponse['headers']>) {
  return Object.fromEntries(
    Object.entries(headers).map(([name, header]) => [
      name,
      { ...header, schema: { type: 'string' as const } },
    ]),
  );
}

function responseConfig(status: number, response: DocumentedResponse): ResponseConfig {
  const mediaType = response.mediaType ?? (status >= 400 ? PROBLEM_MEDIA_TYPE : 'application/json');
  return {
    description: response.description,
    headers: response.headers
      ? { 'X-Request-Id': REQUEST_ID_HEADER, ...headerObjects(response.headers) }
      : { 'X-Request-Id': REQUEST_ID_HEADER },
    ...(response.schema ? { content: { [mediaType]: { schema: response.schema } } } : {}),
  };
}

function routeConfig(operation: ApiOperation): RouteConfig {
  const responses: Record<string, ResponseConfig> = {};
  const all = { ...commonProblems(operation), ...operation.responses };
  for (const status of Object.keys(all)
    .map(Number)
    .sort((a, b) => a - b)) {
    responses[status] = responseConfig(status, all[status]!);
  }
  // A problem the table does not name still comes as problem details, never as a bare page.
  responses.default = {
    description: 'Any other error, as RFC 9457 problem details',
    content: { [PROBLEM_MEDIA_TYPE]: { schema: problem } },
  };
  return {
    operationId: operation.operationId,
    method: operation.method,
    path: operation.path,
    summary: operation.summary,
    description: [`Who may call it: ${operation.audience}.`, operation.description]
      .filter(Boolean)
      .join(' '),
    tags: [operation.tag],
    security: operation.audience === 'anyone' ? [] : [{ bearerAuth: [] }],
    request: {
      ...(operation.params ? { params: operation.params } : {}),
      ...(operation.query ? { query: operation.query } : {}),
      ...(operation.headers ? { headers: operation.headers } : {}),
      ...(operation.body
        ? { body: { required: true, content: { 'application/json': { schema: operation.body } } } }
        : {}),
    },
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of the whole public API, generated from the zod schemas in
 * @shop/contracts that the services validate with; JSON Schema 2020-12 is its schema dialect.
 */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('headers', 'X-Request-Id', {
    required: true,
    description:
      "The caller's X-Request-Id if it sent a sane one, else a new one; in every log line",
    schema: { type: 'string' },
  });
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The accessToken of POST /api/v1/users/login',
  });
  for (const operation of API_OPERATIONS) registry.registerPath(routeConfig(operation));
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Shop API',
      version: '1.0.0',
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'The public API, through the gateway. /api/v1 is canonical and /api is its alias. ' +
        'Money is integer cents; ids are strings; errors are RFC 9457 problem details with ' +
        'requestId. Every response carries X-Request-Id.',
    },
    servers: [{ url: '/', description: 'The gateway that serves this document' }],
    security: [{ bearerAuth: [] }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
  });
  return { ...document, paths: document.paths ?? {} };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
