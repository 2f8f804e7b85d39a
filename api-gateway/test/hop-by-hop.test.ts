import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { endToEndHeaders } from '../src/domain/hop-by-hop';

describe('hop-by-hop headers', () => {
  test('when a message has connection-level headers, then only the end-to-end ones are kept', () => {
    const kept = endToEndHeaders({
      connection: 'keep-alive, X-Secret, , upgrade',
      'x-secret': 'hop',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      trailer: 'expires',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      'proxy-authorization': 'Basic x',
      'proxy-connection': 'keep-alive',
      expect: '100-continue',
      'content-type': 'application/json',
      'set-cookie': ['a=1', 'b=2'],
    });
    assert.deepEqual(kept, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
  });

  test('when some names are written by the caller, then they are left out too', () => {
    const kept = endToEndHeaders(
      { host: 'client', 'x-forwarded-for': '1.2.3.4', accept: '*/*' },
      (name) => name === 'host' || name === 'x-forwarded-for',
    );
    assert.deepEqual(kept, { accept: '*/*' });
  });

  test('when Connection comes as several header lines, then every name in them is dropped', () => {
    const kept = endToEndHeaders({
      connection: ['x-a', 'x-b'],
      'x-a': '1',
      'x-b': '2',
      'x-c': '3',
    });
    assert.deepEqual(kept, { 'x-c': '3' });
  });
});
