import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEchoes, startGateway, upstreamEnv, type GatewayUnderTest } from './support';

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

test('when a path holds malformed percent-encoding, then the gateway answers 400 problem details, not 500', async () => {
  for (const path of ['/api/v1/products/%ff', '/api/products/%E0%A4%A', '/%']) {
    const response = await gateway.api.get(path);
    assert.ok(response.status >= 400 && response.status < 500, `${path}: ${response.status}`);
    assert.match(response.headers.get('content-type') ?? '', /problem\+json/, path);
  }
});
