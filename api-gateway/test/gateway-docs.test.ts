import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { catalogQuery, listOrdersQuery, newProductBody, placeOrderBody } from '@shop/contracts';
import { call, tokenFor } from '@shop/testkit';
import type { z } from 'zod';
import { GATEWAY_ROUTES } from '../src/domain/routing';
import { API_OPERATIONS, pathParameters } from '../src/openapi/operations';
import { admin, startEchoes, startGateway, upstreamEnv, type GatewayUnderTest } from './support';

interface Operation {
  operationId: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
}

describe('the API documentation', () => {
  let echoes: Awaited<ReturnType<typeof startEchoes>>;
  let gateway: GatewayUnderTest;
  let document: {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, { properties: Record<string, unknown> }> };
  };
  const operation = (path: string, method: string) => document.paths[path]![method]!;

  before(async () => {
    echoes = await startEchoes();
    gateway = await startGateway({ env: upstreamEnv(echoes) });
    document = (await gateway.api.get('/api/docs/openapi.json')).body;
  });
  after(async () => {
    await gateway.close();
    await echoes.close();
  });

  test('when the OpenAPI document is fetched, then it is OpenAPI 3.1 with every operation under a unique operationId', () => {
    assert.equal(document.openapi, '3.1.0');
    const ids = API_OPERATIONS.map(({ path, method }) => operation(path, method).operationId);
    assert.equal(new Set(ids).size, API_OPERATIONS.length);
    assert.ok(ids.every((id) => /^[a-z][A-Za-z]+$/.test(id)));
  });

  test('when an operation is public, then it says security: [], and every other one wants a bearer token', () => {
    for (const { path, method, audience } of API_OPERATIONS) {
      const expected = audience === 'anyone' ? [] : [{ bearerAuth: [] }];
      assert.deepEqual(operation(path, method).security, expected, `${method} ${path}`);
    }
    assert.deepEqual(operation('/api/v1/users/login', 'post').security, []);
    assert.deepEqual(operation('/api/v1/products', 'get').security, []);
    assert.deepEqual(operation('/api/v1/products', 'post').security, [{ bearerAuth: [] }]);
  });

  test('when an answer has a body, then its schema is documented, and every error is problem details', () => {
    for (const { path, method } of API_OPERATIONS) {
      for (const [status, response] of Object.entries(operation(path, method).responses)) {
        const label = `${method} ${path} ${status}`;
        if (status === '204') continue;
        const content = Object.entries(response.content ?? {});
        assert.equal(content.length, 1, `${label} has one media type`);
        const [mediaType, { schema }] = content[0]!;
        assert.ok(schema, `${label} has a schema`);
        const isProblem = status === 'default' || (Number(status) >= 400 && path !== '/ready');
        if (isProblem) assert.equal(mediaType, 'application/problem+json', label);
      }
      assert.ok(operation(path, method).responses.default, `${method} ${path} has a default`);
    }
  });

  test('when a cancel is refused with 409, then the document names its orderStatus', () => {
    const conflict = operation('/api/v1/orders/{id}/cancel', 'post').responses['409']!;
    const ref = conflict.content!['application/problem+json']!.schema.$ref!;
    const schema = document.components.schemas[ref.replace('#/components/schemas/', '')]!;
    assert.deepEqual((schema.properties.orderStatus as { enum: string[] }).enum, [
      'PENDING',
      'CONFIRMED',
      'REJECTED',
      'CANCELLED',
    ]);
  });

  test('when an order is placed, then the document declares the Idempotency-Key header and the replay answer', () => {
    const placeOrder = operation('/api/v1/orders', 'post');
    const header = placeOrder.parameters?.find((p) => p.name === 'Idempotency-Key');
    assert.equal(header?.in, 'header');
    assert.equal(header?.required, false);
    assert.ok(placeOrder.responses['200']);
    assert.ok(placeOrder.responses['201']);
  });

  test('when the document is generated, then its inputs are the zod schemas the services validate with', () => {
    const bodyOf = (path: string, method: string) =>
      operation(path, method).requestBody!.content['application/json']!.schema as {
        required: string[];
        properties: Record<string, unknown>;
        additionalProperties?: boolean;
      };
    const keysOf = (schema: z.ZodObject) => Object.keys(schema.shape);
    const queryNames = (path: string) =>
      operation(path, 'get')
        .parameters!.filter((p) => p.in === 'query')
        .map((p) => p.name);

    assert.deepEqual(Object.keys(bodyOf('/api/v1/orders', 'post').properties), ['items']);
    assert.deepEqual(
      Object.keys(bodyOf('/api/v1/products', 'post').properties),
      keysOf(newProductBody),
    );
    // A strict body is documented as one: an unknown key is a 400, not ignored.
    assert.equal(bodyOf('/api/v1/products', 'post').additionalProperties, false);
    assert.deepEqual(queryNames('/api/v1/products'), keysOf(catalogQuery as never));
    assert.deepEqual(queryNames('/api/v1/orders'), keysOf(listOrdersQuery));
    assert.ok(placeOrderBody, 'the order body is a contract schema');
  });

  test('when the docs page is opened, then every script, style and image it loads is served by the gateway itself', async () => {
    const response = await gateway.api.get('/api/docs');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    const policy = response.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self'(;|$)/);
    assert.doesNotMatch(policy, /https?:|upgrade-insecure-requests/);

    const assets = [...response.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.length >= 4, `the page loads ${assets.join(', ')}`);
    for (const asset of assets) {
      assert.match(asset, /^\/api\/docs/, `${asset} is same-origin`);
      const served = await gateway.api.get(asset);
      assert.equal(served.status, 200, asset);
      assert.ok(served.text.length > 0, asset);
    }
    const bundle = await gateway.api.get('/api/docs/assets/swagger-ui-bundle.js');
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
    assert.ok(bundle.text.includes('SwaggerUIBundle'), 'the bundle is Swagger UI');
    const init = await gateway.api.get('/api/docs/init.js');
    assert.match(init.text, /url: '\/api\/docs\/openapi\.json'/);
    assert.match(init.text, /validatorUrl: null/, 'no document is sent to validator.swagger.io');
  });

  test('when each documented operation is called through the gateway, then it reaches a service or the gateway answers it', async () => {
    const token = tokenFor(admin);
    for (const { path: template, method, body, tag } of API_OPERATIONS) {
      const path = pathParameters(template).reduce(
        (filled, name) => filled.replace(`{${name}}`, `sample-${name}`),
        template,
      );
      for (const prefix of path.startsWith('/api/v1/') ? ['/api/v1/', '/api/'] : ['']) {
        const url = prefix ? path.replace('/api/v1/', prefix) : path;
        const response = await call(gateway.url, method.toUpperCase(), url, {
          token,
          ...(body ? { body: {} } : {}),
        });
        const label = `${method.toUpperCase()} ${url}`;
        assert.equal(response.status, 200, label);
        if (tag !== 'gateway') {
          assert.equal(response.body.path, url.replace(/^\/api(\/v1)?/, ''), label);
        }
      }
    }
  });

  test('when a path prefix is routed by the gateway, then it is documented', () => {
    for (const route of GATEWAY_ROUTES) {
      const prefix = `/api/v1/${route.resource}`;
      assert.ok(
        API_OPERATIONS.some(({ path }) => path === prefix || path.startsWith(`${prefix}/`)),
        `${prefix} has no documented operation`,
      );
    }
  });
});
