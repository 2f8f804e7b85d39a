import { z } from 'zod';
import * as schema from '@shop/contracts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type Audience = 'anyone' | 'user' | 'admin' | 'owner or admin';
export type Tag = 'users' | 'products' | 'orders' | 'inventory' | 'gateway';

export interface DocumentedResponse {
  description: string;
  /** A problem schema for 4xx and 5xx, a body schema otherwise; absent when there is no body. */
  schema?: z.ZodType;
  /** application/json for a body, application/problem+json for a 4xx or 5xx, unless said here. */
  mediaType?: string;
  /** Response headers beside X-Request-Id, by name: what they mean and whether they always come. */
  headers?: Record<string, { description: string; required: boolean }>;
}

/**
 * One public operation: the zod schemas here are the ones the services validate with, so the
 * document cannot describe an input the code does not take. The answers every operation of its
 * kind can get (400, 401, 429, ...) are added by the document builder, not repeated here.
 */
export interface ApiOperation {
  operationId: string;
  method: HttpMethod;
  /** OpenAPI path template, canonical prefix: `/api/v1/orders/{id}`. */
  path: string;
  summary: string;
  /** More than the summary says, where a caller needs it. */
  description?: string;
  tag: Tag;
  audience: Audience;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, DocumentedResponse>;
}

const answer = (description: string, body?: z.ZodType): DocumentedResponse =>
  body ? { description, schema: body } : { description };

const byId = z.object({ id: schema.id });
const byUserId = z.object({ userId: schema.id });

/** Every public operation, in the order a reader meets them. */
export const API_OPERATIONS: readonly ApiOperation[] = [
  {
    operationId: 'registerUser',
    method: 'post',
    path: '/api/v1/users/register',
    summary: 'Create a customer account',
    tag: 'users',
    audience: 'anyone',
    body: schema.registerBody,
    responses: {
      201: answer('The new user', schema.user),
      409: answer('The email is taken', schema.problem),
    },
  },
  {
    operationId: 'logIn',
    method: 'post',
    path: '/api/v1/users/login',
    summary: 'Log in; returns an access and a refresh token',
    tag: 'users',
    audience: 'anyone',
    body: schema.loginBody,
    responses: {
      200: answer('A session', schema.session),
      401: answer('Wrong email or password', schema.problem),
    },
  },
  {
    operationId: 'refreshSession',
    method: 'post',
    path: '/api/v1/users/refresh',
    summary: 'Trade a refresh token for a new pair; reusing a dead one revokes its family',
    tag: 'users',
    audience: 'anyone',
    body: schema.refreshTokenBody,
    responses: {
      200: answer('A new session', schema.session),
      401: answer('The refresh token is dead', schema.problem),
    },
  },
  {
    operationId: 'logOut',
    method: 'post',
    path: '/api/v1/users/logout',
    summary: 'End the session of a refresh token',
    tag: 'users',
    audience: 'user',
    body: schema.refreshTokenBody,
    responses: { 204: answer('Logged out') },
  },
  {
    operationId: 'getCurrentUser',
    method: 'get',
    path: '/api/v1/users/me',
    summary: 'The caller',
    tag: 'users',
    audience: 'user',
    responses: { 200: answer('The caller', schema.user) },
  },
  {
    operationId: 'getUser',
    method: 'get',
    path: '/api/v1/users/{id}',
    summary:
      'A user with their orders (orders: [] and ordersUnavailable when order-service is down)',
    tag: 'users',
    audience: 'owner or admin',
    params: byId,
    responses: {
      200: answer('The user', schema.userWithOrders),
      404: answer('No such user for you', schema.problem),
    },
  },
  {
    operationId: 'searchProducts',
    method: 'get',
    path: '/api/v1/products',
    summary: 'Search the catalog',
    tag: 'products',
    audience: 'anyone',
    query: schema.catalogQuery,
    responses: { 200: answer('A page of products', schema.productPage) },
  },
  {
    operationId: 'getProduct',
    method: 'get',
    path: '/api/v1/products/{id}',
    summary: 'One product',
    tag: 'products',
    audience: 'anyone',
    params: schema.productParams,
    responses: {
      200: answer('The product', schema.product),
      404: answer('No such product', schema.problem),
    },
  },
  {
    operationId: 'createProduct',
    method: 'post',
    path: '/api/v1/products',
    summary: 'Add a product (emits PRODUCT_CREATED)',
    tag: 'products',
    audience: 'admin',
    body: schema.newProductBody,
    responses: {
      201: answer('The new product', schema.product),
      409: answer('The SKU is taken', schema.skuTakenProblem),
    },
  },
  {
    operationId: 'updateProduct',
    method: 'patch',
    path: '/api/v1/products/{id}',
    summary: 'Change a product',
    tag: 'products',
    audience: 'admin',
    params: schema.productParams,
    body: schema.productChangesBody,
    responses: {
      200: answer('The product', schema.product),
      404: answer('No such product', schema.problem),
      409: answer('The SKU is taken', schema.skuTakenProblem),
    },
  },
  {
    operationId: 'deleteProduct',
    method: 'delete',
    path: '/api/v1/products/{id}',
    summary: 'Remove a product (emits PRODUCT_DELETED)',
    tag: 'products',
    audience: 'admin',
    params: schema.productParams,
    responses: {
      204: answer('Removed'),
      404: answer('No such product', schema.problem),
      409: answer('The product changed while it was being deleted; try again', schema.problem),
    },
  },
  {
    operationId: 'placeOrder',
    method: 'post',
    path: '/api/v1/orders',
    summary: 'Place an order; it starts PENDING and ends CONFIRMED or REJECTED',
    tag: 'orders',
    audience: 'user',
    headers: z.object({ 'Idempotency-Key': schema.idempotencyKey.optional() }),
    body: schema.placeOrderBody,
    responses: {
      201: answer('The order, PENDING', schema.order),
      200: {
        description: 'The same order again, as it is now: a retry with the same Idempotency-Key',
        schema: schema.order,
        headers: {
          'Idempotent-Replayed': { description: '"true": this answer is a replay', required: true },
        },
      },
      422: answer(
        'Unknown products, a total over the maximum, or an Idempotency-Key used for other lines',
        schema.orderRefusedProblem,
      ),
      503: answer('product-service could not price the order; nothing was stored', schema.problem),
    },
  },
  {
    operationId: 'listOrders',
    method: 'get',
    path: '/api/v1/orders',
    summary: 'Own orders (admin: all), newest first',
    tag: 'orders',
    audience: 'user',
    query: schema.listOrdersQuery,
    responses: { 200: answer('A page of orders', schema.orderPage) },
  },
  {
    operationId: 'getOrder',
    method: 'get',
    path: '/api/v1/orders/{id}',
    summary: 'One order',
    tag: 'orders',
    audience: 'owner or admin',
    params: byId,
    responses: {
      200: answer('The order', schema.order),
      404: answer('No such order for you', schema.problem),
    },
  },
  {
    operationId: 'listUserOrders',
    method: 'get',
    path: '/api/v1/orders/user/{userId}',
    summary: "A user's orders (that user or an admin); user-service uses it for profiles",
    tag: 'orders',
    audience: 'owner or admin',
    params: byUserId,
    query: schema.listOrdersQuery,
    responses: {
      200: answer('A page of orders', schema.orderPage),
      404: answer('No such user for you', schema.problem),
    },
  },
  {
    operationId: 'cancelOrder',
    method: 'post',
    path: '/api/v1/orders/{id}/cancel',
    summary: 'Cancel an order; its reserved stock is released',
    tag: 'orders',
    audience: 'owner or admin',
    params: byId,
    responses: {
      200: answer('The cancelled order', schema.order),
      404: answer('No such order for you', schema.problem),
      409: answer(
        'The order is REJECTED or CANCELLED already; orderStatus says which',
        schema.orderNotCancellableProblem,
      ),
    },
  },
  {
    operationId: 'getStock',
    method: 'get',
    path: '/api/v1/inventory/{productId}',
    summary: 'Stock of a product',
    tag: 'inventory',
    audience: 'user',
    params: schema.stockParams,
    responses: {
      200: answer('The stock level', schema.stockLevel),
      404: answer('No stock kept', schema.problem),
    },
  },
  {
    operationId: 'restock',
    method: 'put',
    path: '/api/v1/inventory/{productId}',
    summary: 'Restock: set the available quantity',
    tag: 'inventory',
    audience: 'admin',
    params: schema.stockParams,
    body: schema.restockBody,
    responses: {
      200: answer('The stock level', schema.stockLevel),
      404: answer(
        'Inventory has not heard of the product yet (it learns from PRODUCT_CREATED)',
        schema.problem,
      ),
      409: answer('The product was deleted from the catalog', schema.problem),
    },
  },
  {
    operationId: 'listStock',
    method: 'get',
    path: '/api/v1/inventory',
    summary: 'Stock of every product, paginated',
    tag: 'inventory',
    audience: 'admin',
    query: schema.stockPageQuery,
    responses: { 200: answer('A page of stock levels', schema.stockPage) },
  },
  {
    operationId: 'getStockLedger',
    method: 'get',
    path: '/api/v1/inventory/{productId}/ledger',
    summary: "Every movement of a product's stock, oldest first: the audit trail",
    tag: 'inventory',
    audience: 'admin',
    params: schema.stockParams,
    query: schema.stockPageQuery,
    responses: {
      200: answer('A page of ledger entries', schema.ledgerPage),
      404: answer('No stock kept', schema.problem),
    },
  },
  {
    operationId: 'getHealth',
    method: 'get',
    path: '/health',
    summary: 'The gateway is alive',
    tag: 'gateway',
    audience: 'anyone',
    responses: { 200: answer('Alive', schema.health) },
  },
  {
    operationId: 'getReadiness',
    method: 'get',
    path: '/ready',
    summary: 'Redis answers and every route has an upstream',
    tag: 'gateway',
    audience: 'anyone',
    responses: {
      200: answer('Ready', schema.readiness),
      503: {
        description: 'Not ready: checks names what is down',
        schema: schema.readiness,
        mediaType: 'application/json',
      },
    },
  },
  {
    operationId: 'getMetrics',
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics, with per-upstream counts and latency',
    description: 'Served on METRICS_PORT instead, and not here, when that is set',
    tag: 'gateway',
    audience: 'anyone',
    responses: {
      200: { description: 'Prometheus text format', schema: z.string(), mediaType: 'text/plain' },
    },
  },
  {
    operationId: 'getDocsPage',
    method: 'get',
    path: '/api/docs',
    summary: 'This document as a page',
    tag: 'gateway',
    audience: 'anyone',
    responses: {
      200: {
        description: 'Swagger UI, served offline',
        schema: z.string(),
        mediaType: 'text/html',
      },
    },
  },
  {
    operationId: 'getOpenApiDocument',
    method: 'get',
    path: '/api/docs/openapi.json',
    summary: 'This document',
    tag: 'gateway',
    audience: 'anyone',
    responses: {
      200: { description: 'OpenAPI 3.1', schema: z.record(z.string(), z.unknown()) },
    },
  },
];

/** `/api/v1/orders/{id}/cancel` -> `['id']`. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
}
