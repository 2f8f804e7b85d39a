import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { spawnTs, waitForExit, waitForOutput } from '@shop/testkit';

test('when SIGTERM arrives during a slow request, then the request finishes before the process exits', async () => {
  const child = spawnTs(path.join(__dirname, 'fixtures', 'slow-service.ts'), {});
  const exited = waitForExit(child);
  const listening = await waitForOutput(child, /listening on/);
  const url = /listening on (http:\/\/\S+)"/.exec(listening)?.[1];
  assert.ok(url, `no url in ${listening}`);

  const slow = fetch(`${url}/slow`);
  await waitForOutput(child, /slow request started/);
  child.kill('SIGTERM');

  const response = await slow;
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { finished: true });
  await assert.rejects(fetch(`${url}/health`), 'a draining server must not accept new connections');

  const { code, stdout } = await exited;
  assert.equal(code, 0);
  const order = ['shutting down', 'resources closed', 'stopped'].map((line) =>
    stdout.indexOf(line),
  );
  assert.ok(
    order.every((position, i) => position >= 0 && (i === 0 || position > order[i - 1]!)),
    stdout,
  );
});
