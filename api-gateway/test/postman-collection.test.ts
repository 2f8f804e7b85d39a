import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildOpenApiDocument } from '../src/openapi/document';

// The Postman collection is documentation users run; it must parse and only call routes the
// OpenAPI document describes, so the two cannot drift apart.
const postmanDir = path.resolve(__dirname, '..', '..', 'postman');

interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  request?: { method: string; url: { raw: string } };
}

function requestsOf(items: PostmanItem[]): { name: string; method: string; raw: string }[] {
  return items.flatMap((item) =>
    item.item
      ? requestsOf(item.item)
      : item.request
        ? [{ name: item.name, method: item.request.method, raw: item.request.url.raw }]
        : [],
  );
}

/** `{{baseUrl}}/api/orders/{{orderId}}?x=1` -> `/api/v1/orders/{}` */
function routeShape(raw: string): string {
  const pathOnly = raw.replace('{{baseUrl}}', '').split('?')[0]!;
  return pathOnly.replace(/^\/api\/(?!v1\/|docs)/, '/api/v1/').replace(/\{\{[^}]+\}\}/g, '{}');
}

test('when the Postman collection is read, then it is a v2.1 collection whose every request is a documented route', () => {
  const collection = JSON.parse(
    readFileSync(path.join(postmanDir, 'shop.postman_collection.json'), 'utf8'),
  ) as { info: { schema: string }; item: PostmanItem[] };
  assert.equal(
    collection.info.schema,
    'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
  );
  const documented = new Set(
    Object.entries(buildOpenApiDocument().paths).flatMap(([route, operations]) =>
      Object.keys(operations).map(
        (method) => `${method.toUpperCase()} ${route.replace(/\{[^}]+\}/g, '{}')}`,
      ),
    ),
  );
  const requests = requestsOf(collection.item);
  assert.ok(requests.length >= 20, `the tour has ${requests.length} requests`);
  for (const request of requests) {
    const shape = `${request.method} ${routeShape(request.raw)}`;
    assert.ok(documented.has(shape), `"${request.name}" calls ${shape}, which is not documented`);
  }
});

test('when the Postman environment is read, then it defines every variable the collection uses', () => {
  const collectionText = readFileSync(
    path.join(postmanDir, 'shop.postman_collection.json'),
    'utf8',
  );
  const environment = JSON.parse(
    readFileSync(path.join(postmanDir, 'shop.postman_environment.json'), 'utf8'),
  ) as { values: { key: string }[] };
  const defined = new Set(environment.values.map((value) => value.key));
  const used = new Set(
    [...collectionText.matchAll(/\{\{([A-Za-z]+)\}\}/g)].map((match) => match[1]!),
  );
  for (const name of used)
    assert.ok(defined.has(name), `{{${name}}} is defined in the environment`);
  const captured = new Set(
    [...collectionText.matchAll(/pm\.environment\.set\('([A-Za-z]+)'/g)].map((match) => match[1]!),
  );
  for (const name of [
    'accessToken',
    'refreshToken',
    'adminToken',
    'productId',
    'orderId',
    'userId',
  ]) {
    assert.ok(captured.has(name), `${name} is captured from an answer`);
  }
});
