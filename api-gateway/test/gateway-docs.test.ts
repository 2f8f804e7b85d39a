import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { catalogQuery, placeOrderBody, registerBody, restockBody } from '@shop/contracts';
import { call, tokenFor } from '@shop/testkit';
import { z } from 'zod';
import { GATEWAY_ROUTES } from '../src/domain/routing';
import { API_OPERATIONS, pathParameters } from '../src/openapi/document';
import { admin, startEchoes, startGateway, upstreamEnv, type GatewayUnderTest } from './support';

describe('the API documentation', () => {
  let echoes: Awaited<ReturnType<typeof startEchoes>>;
  let gateway: GatewayUnderTest;

  before(async () => {
    echoes = await startEchoes();
    gateway = await startGateway({ env: upstreamEnv(echoes) });
  });
  after(async () => {
    await gateway.close();
    await echoes.close();
  });

  test('when the OpenAPI document is fetched, then it is OpenAPI 3.1 with every operation and its schemas', async () => {
    const response = await gateway.api.get('/api/docs/openapi.json');
    assert.equal(response.status, 200);
    const document = response.body;
    assert.equal(document.openapi, '3.1.0');
    for (const operation of API_OPERATIONS) {
      assert.ok(
        document.paths[operation.path]?.[operation.method],
        `${operation.method} ${operation.path}`,
      );
    }
    const placeOrder = document.paths['/api/v1/orders'].post;
    const body = placeOrder.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required, ['items']);
    assert.deepEqual(body.properties.items.items.required, ['productId', 'quantity']);
    assert.deepEqual(placeOrder.security, [{ bearerAuth: [] }]);
    const restock = document.paths['/api/v1/inventory/{productId}'].put;
    assert.deepEqual(
      Object.keys(restock.requestBody.content['application/json'].schema.properties),
      ['available'],
    );
    assert.ok(
      document.paths['/api/v1/products'].get.parameters.some(
        (p: { name: string; in: string }) => p.name === 'minPrice' && p.in === 'query',
      ),
    );
    assert.equal(document.paths['/api/v1/users/login'].post.security, undefined, 'login is public');
  });

  test('when the OpenAPI document is fetched, then its request schemas are the ones the services validate with', async () => {
    const { body: document } = await gateway.api.get('/api/docs/openapi.json');
    const requestSchema = (path: string, method: string) =>
      document.paths[path][method].requestBody.content['application/json'].schema;
    const contract = (schema: z.ZodType) => {
      const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
        io: 'input',
        unrepresentable: 'any',
      });
      return rest;
    };

    assert.deepEqual(requestSchema('/api/v1/orders', 'post'), contract(placeOrderBody));
    assert.deepEqual(requestSchema('/api/v1/users/register', 'post'), contract(registerBody));
    assert.deepEqual(requestSchema('/api/v1/inventory/{productId}', 'put'), contract(restockBody));
    const catalogParameters = document.paths['/api/v1/products'].get.parameters.map(
      (parameter: { name: string }) => parameter.name,
    );
    assert.deepEqual(catalogParameters, Object.keys(catalogQuery.shape));
  });

  test('when the docs page is opened, then it lists every operation and loads nothing from elsewhere', async () => {
    const response = await gateway.api.get('/api/docs');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    for (const operation of API_OPERATIONS)
      assert.ok(response.text.includes(operation.path), operation.path);
    assert.doesNotMatch(response.text, /<script|<link|src=|@import|url\(/i);
  });

  test('when each documented operation is called through the gateway, then it reaches a service or the gateway answers it', async () => {
    const token = tokenFor(admin);
    for (const operation of API_OPERATIONS) {
      const path = pathParameters(operation.path).reduce(
        (filled, name) => filled.replace(`{${name}}`, `sample-${name}`),
        operation.path,
      );
      for (const prefix of path.startsWith('/api/v1/') ? ['/api/v1/', '/api/'] : ['']) {
        const url = prefix ? path.replace('/api/v1/', prefix) : path;
        const response = await call(gateway.url, operation.method.toUpperCase(), url, {
          token,
          ...(operation.body ? { body: {} } : {}),
        });
        const label = `${operation.method.toUpperCase()} ${url}`;
        assert.equal(response.status, 200, label);
        if (operation.tag !== 'gateway') {
          assert.equal(response.body.path, url.replace(/^\/api(\/v1)?/, ''), label);
        }
      }
    }
  });

  test('when a path prefix is routed by the gateway, then it is documented', () => {
    for (const route of GATEWAY_ROUTES) {
      const prefix = `/api/v1/${route.resource}`;
      assert.ok(
        API_OPERATIONS.some(
          (operation) => operation.path === prefix || operation.path.startsWith(`${prefix}/`),
        ),
        `${prefix} has no documented operation`,
      );
    }
  });
});
