import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useGateway } from './support';

const suite = useGateway();

test('when a path holds malformed percent-encoding, then the gateway answers 400 problem details, not 500', async () => {
  for (const path of ['/api/v1/products/%ff', '/api/products/%E0%A4%A', '/%']) {
    const response = await suite.gateway.api.get(path);
    assert.ok(response.status >= 400 && response.status < 500, `${path}: ${response.status}`);
    assert.match(response.headers.get('content-type') ?? '', /problem\+json/, path);
  }
});
