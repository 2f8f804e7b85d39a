import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startEchoes, startGateway, upstreamEnv, type GatewayUnderTest } from './support';

describe('gateway metrics port', () => {
  let echoes: Awaited<ReturnType<typeof startEchoes>>;
  let hidden: GatewayUnderTest;
  let open: GatewayUnderTest;

  before(async () => {
    echoes = await startEchoes();
    hidden = await startGateway({ env: { ...upstreamEnv(echoes), METRICS_PORT: '9400' } });
    open = await startGateway({ env: upstreamEnv(echoes) });
  });

  after(async () => {
    await Promise.all([hidden.close(), open.close()]);
    await echoes.close();
  });

  test('when METRICS_PORT is set, then the public port has no /metrics and passes nothing upstream', async () => {
    const response = await hidden.api.get('/metrics');
    assert.equal(response.status, 404);
    assert.equal(response.body.type, '/problems/not-found');
    assert.equal(echoes.totalReceived(), 0);
  });

  test('when METRICS_PORT is unset, then /metrics is on the public port with the security headers', async () => {
    const response = await open.api.get('/metrics');
    assert.equal(response.status, 200);
    assert.match(response.text, /http_requests_total/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  });

  for (const route of ['/health', '/ready']) {
    test(`when ${route} is asked, then it carries the security headers`, async () => {
      const response = await hidden.api.get(route);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(response.headers.get('content-security-policy'));
    });
  }
});
