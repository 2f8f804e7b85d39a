import { z } from 'zod';
import * as schema from '@shop/contracts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type Audience = 'anyone' | 'user' | 'admin' | 'owner or admin';

export interface ApiOperation {
  method: HttpMethod;
  /** OpenAPI path template, canonical prefix: `/api/v1/orders/{id}`. */
  path: string;
  summary: string;
  tag: 'users' | 'products' | 'orders' | 'inventory' | 'gateway';
  audience: Audience;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<string, { description: string; schema?: z.ZodType }>;
}

const ok = (description: string, body?: z.ZodType) => ({ description, schema: body });

/** Every public operation, in the order a reader meets them. */
export const API_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/users/register',
    summary: 'Create a customer account',
    tag: 'users',
    audience: 'anyone',
    body: schema.registerBody,
    responses: { 201: ok('The new user', schema.user), 409: ok('The email is taken') },
  },
  {
    method: 'post',
    path: '/api/v1/users/login',
    summary: 'Log in; returns an access and a refresh token',
    tag: 'users',
    audience: 'anyone',
    body: schema.loginBody,
    responses: { 200: ok('A session', schema.session), 401: ok('Wrong email or password') },
  },
  {
    method: 'post',
    path: '/api/v1/users/refresh',
    summary: 'Trade a refresh token for a new pair; reusing a dead one revokes its family',
    tag: 'users',
    audience: 'anyone',
    body: schema.refreshTokenBody,
    responses: { 200: ok('A new session', schema.session), 401: ok('The refresh token is dead') },
  },
  {
    method: 'post',
    path: '/api/v1/users/logout',
    summary: 'End the session of a refresh token',
    tag: 'users',
    audience: 'user',
    body: schema.refreshTokenBody,
    responses: { 204: ok('Logged out') },
  },
  {
    method: 'get',
    path: '/api/v1/users/me',
    summary: 'The caller',
    tag: 'users',
    audience: 'user',
    responses: { 200: ok('The caller', schema.user) },
  },
  {
    method: 'get',
    path: '/api/v1/users/{id}',
    summary:
      'A user with their orders (orders: [] and ordersUnavailable when order-service is down)',
    tag: 'users',
    audience: 'owner or admin',
    responses: { 200: ok('The user', schema.userWithOrders), 404: ok('No such user for you') },
  },
  {
    method: 'get',
    path: '/api/v1/products',
    summary: 'Search the catalog',
    tag: 'products',
    audience: 'anyone',
    query: schema.catalogQuery,
    responses: { 200: ok('A page of products', schema.productPage) },
  },
  {
    method: 'get',
    path: '/api/v1/products/{id}',
    summary: 'One product',
    tag: 'products',
    audience: 'anyone',
    responses: { 200: ok('The product', schema.product), 404: ok('No such product') },
  },
  {
    method: 'post',
    path: '/api/v1/products',
    summary: 'Add a product (emits PRODUCT_CREATED)',
    tag: 'products',
    audience: 'admin',
    body: schema.newProductBody,
    responses: { 201: ok('The new product', schema.product), 409: ok('The SKU is taken') },
  },
  {
    method: 'patch',
    path: '/api/v1/products/{id}',
    summary: 'Change a product',
    tag: 'products',
    audience: 'admin',
    body: schema.productChangesBody,
    responses: { 200: ok('The product', schema.product), 404: ok('No such product') },
  },
  {
    method: 'delete',
    path: '/api/v1/products/{id}',
    summary: 'Remove a product (emits PRODUCT_DELETED)',
    tag: 'products',
    audience: 'admin',
    responses: { 204: ok('Removed'), 404: ok('No such product') },
  },
  {
    method: 'post',
    path: '/api/v1/orders',
    summary: 'Place an order; it starts PENDING and ends CONFIRMED or REJECTED',
    tag: 'orders',
    audience: 'user',
    body: schema.placeOrderBody,
    responses: {
      201: ok('The order', schema.order),
      200: ok('The same order again: a retry with the same Idempotency-Key', schema.order),
      422: ok('Unknown products, or a total over the maximum'),
      503: ok('product-service could not price the order; nothing was stored'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/orders',
    summary: 'Own orders (admin: all), newest first',
    tag: 'orders',
    audience: 'user',
    query: schema.listOrdersQuery,
    responses: { 200: ok('A page of orders', schema.orderPage) },
  },
  {
    method: 'get',
    path: '/api/v1/orders/{id}',
    summary: 'One order',
    tag: 'orders',
    audience: 'owner or admin',
    responses: { 200: ok('The order', schema.order), 404: ok('No such order for you') },
  },
  {
    method: 'get',
    path: '/api/v1/orders/user/{userId}',
    summary: "A user's orders (that user or an admin); user-service uses it for profiles",
    tag: 'orders',
    audience: 'owner or admin',
    query: schema.listOrdersQuery,
    responses: { 200: ok('A page of orders', schema.orderPage), 404: ok('No such user for you') },
  },
  {
    method: 'post',
    path: '/api/v1/orders/{id}/cancel',
    summary: 'Cancel an order; its reserved stock is released',
    tag: 'orders',
    audience: 'owner or admin',
    responses: { 200: ok('The cancelled order', schema.order), 409: ok('The order is final') },
  },
  {
    method: 'get',
    path: '/api/v1/inventory/{productId}',
    summary: 'Stock of a product',
    tag: 'inventory',
    audience: 'user',
    responses: { 200: ok('The stock level', schema.stockLevel), 404: ok('No stock kept') },
  },
  {
    method: 'put',
    path: '/api/v1/inventory/{productId}',
    summary: 'Restock: set the available quantity',
    tag: 'inventory',
    audience: 'admin',
    body: schema.restockBody,
    responses: {
      200: ok('The stock level', schema.stockLevel),
      404: ok('Inventory has not heard of the product yet (it learns from PRODUCT_CREATED)'),
      409: ok('The product was deleted from the catalog'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/inventory',
    summary: 'Stock of every product, paginated',
    tag: 'inventory',
    audience: 'admin',
    query: schema.stockPageQuery,
    responses: { 200: ok('A page of stock levels', schema.stockPage) },
  },
  {
    method: 'get',
    path: '/api/v1/inventory/{productId}/ledger',
    summary: "Every movement of a product's stock, oldest first: the audit trail",
    tag: 'inventory',
    audience: 'admin',
    query: schema.stockPageQuery,
    responses: { 200: ok('A page of ledger entries', schema.ledgerPage), 404: ok('No stock kept') },
  },
  {
    method: 'get',
    path: '/health',
    summary: 'The gateway is alive',
    tag: 'gateway',
    audience: 'anyone',
    responses: { 200: ok('Alive', schema.health) },
  },
  {
    method: 'get',
    path: '/ready',
    summary: 'Redis answers and every route has an upstream',
    tag: 'gateway',
    audience: 'anyone',
    responses: { 200: ok('Ready', schema.readiness), 503: ok('Not ready', schema.readiness) },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics, with per-upstream counts and latency',
    tag: 'gateway',
    audience: 'anyone',
    responses: { 200: ok('Prometheus text') },
  },
  {
    method: 'get',
    path: '/api/docs',
    summary: 'This document as a page',
    tag: 'gateway',
    audience: 'anyone',
    responses: { 200: ok('HTML') },
  },
  {
    method: 'get',
    path: '/api/docs/openapi.json',
    summary: 'This document',
    tag: 'gateway',
    audience: 'anyone',
    responses: { 200: ok('OpenAPI 3.1') },
  },
];

type JsonSchema = Record<string, unknown>;

function jsonSchema(type: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(type, { io, unrepresentable: 'any' });
  return rest;
}

export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
}

function operationObject(operation: ApiOperation) {
  const parameters = [
    ...pathParameters(operation.path).map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    ...Object.entries(operation.query?.shape ?? {}).map(([name, field]) => ({
      name,
      in: 'query',
      required: false,
      schema: jsonSchema(field as z.ZodType, 'input'),
    })),
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(operation.responses)) {
    const isProblem = Number(status) >= 400;
    const body = response.schema ?? (isProblem ? schema.problem : undefined);
    responses[status] = {
      description: response.description,
      ...(body
        ? {
            content: {
              [isProblem ? 'application/problem+json' : 'application/json']: {
                schema: jsonSchema(body, 'output'),
              },
            },
          }
        : {}),
    };
  }
  responses.default = {
    description: 'An error, as RFC 9457 problem details',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
  return {
    summary: operation.summary,
    tags: [operation.tag],
    'x-audience': operation.audience,
    ...(operation.audience === 'anyone' ? {} : { security: [{ bearerAuth: [] }] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(operation.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the whole public API; JSON Schema 2020-12 is its schema dialect. */
export function buildOpenApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of API_OPERATIONS) {
    paths[operation.path] ??= {};
    paths[operation.path]![operation.method] = operationObject(operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Shop API',
      version: '1.0.0',
      description:
        'The public API, through the gateway. /api/v1 is canonical and /api is its alias. ' +
        'Money is integer cents; ids are strings; errors are RFC 9457 problem details with ' +
        'requestId. Every response carries X-Request-Id.',
    },
    servers: [{ url: '/' }],
    tags: ['users', 'products', 'orders', 'inventory', 'gateway'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: jsonSchema(schema.problem, 'output') },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
