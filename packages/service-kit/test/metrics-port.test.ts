import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnTs, waitForExit, waitForOutput } from '@shop/testkit';
import type { ChildProcess } from 'node:child_process';

const SECURITY_HEADERS = ['x-content-type-options', 'content-security-policy', 'x-frame-options'];

function assertSecurityHeaders(response: Response, what: string) {
  for (const name of SECURITY_HEADERS) {
    assert.ok(response.headers.get(name), `${what} lacks ${name}`);
  }
  assert.equal(response.headers.get('x-powered-by'), null, `${what} names its framework`);
}

describe('metrics on their own port (METRICS_PORT)', () => {
  let child: ChildProcess;
  let exited: ReturnType<typeof waitForExit>;
  let publicUrl: string;
  let metricsUrl: string;

  before(async () => {
    child = spawnTs(path.join(__dirname, 'fixtures', 'metrics-port-service.ts'), {});
    exited = waitForExit(child);
    // Both lines may arrive in one chunk, so wait for both at once.
    const [listening, metricsLine] = await Promise.all([
      waitForOutput(child, /listening on/),
      waitForOutput(child, /metrics on/),
    ]);
    publicUrl = /listening on (http:\/\/\S+)"/.exec(listening)?.[1] ?? '';
    metricsUrl = /metrics on (http:\/\/\S+)\/metrics"/.exec(metricsLine)?.[1] ?? '';
    assert.ok(publicUrl && metricsUrl, `${listening} ${metricsLine}`);
  });

  after(async () => {
    child.kill('SIGTERM');
    await exited;
  });

  test('when METRICS_PORT is set, then the public port answers /metrics with a 404 problem', async () => {
    const response = await fetch(`${publicUrl}/metrics`);
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.doesNotMatch(await response.text(), /nodejs_version_info|http_requests_total/);
  });

  test('when METRICS_PORT is set, then the metrics port serves Prometheus text with security headers', async () => {
    await fetch(`${publicUrl}/health`);
    const response = await fetch(`${metricsUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /nodejs_version_info/);
    assertSecurityHeaders(response, 'the metrics port');
  });

  test('when anything but /metrics is asked of the metrics port, then 404', async () => {
    const response = await fetch(`${metricsUrl}/health`);
    assert.equal(response.status, 404);
  });

  for (const route of ['/health', '/ready']) {
    test(`when ${route} is asked of the public port, then it carries the security headers`, async () => {
      const response = await fetch(`${publicUrl}${route}`);
      assert.equal(response.status, 200);
      assertSecurityHeaders(response, route);
    });
  }
});
