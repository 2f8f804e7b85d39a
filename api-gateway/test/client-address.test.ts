import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientOf } from '../src/domain/client-address';

const peer = { remoteAddress: '10.0.0.9', encrypted: false };

describe('the client address behind trusted proxies', () => {
  test('when no hop is trusted, then the peer is the client, whatever the headers claim', () => {
    assert.deepEqual(
      clientOf(peer, { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' }, 0),
      { address: '10.0.0.9', protocol: 'http' },
    );
  });

  test('when hops are trusted, then X-Forwarded-For is read from its right end, one address per hop', () => {
    const headers = { 'x-forwarded-for': '198.51.100.1, 203.0.113.7 ,192.0.2.4' };
    assert.equal(clientOf(peer, headers, 1).address, '192.0.2.4');
    assert.equal(clientOf(peer, headers, 2).address, '203.0.113.7');
    assert.equal(clientOf(peer, headers, 3).address, '198.51.100.1');
    assert.equal(clientOf(peer, headers, 9).address, '198.51.100.1', 'never past the header');
    assert.equal(
      clientOf(peer, { 'x-forwarded-for': 'a,,b' }, 2).address,
      'a',
      'empty entries skipped',
    );
    assert.equal(clientOf(peer, {}, 1).address, '10.0.0.9');
  });

  test('when hops are trusted, then the protocol is the first X-Forwarded-Proto, else the connection', () => {
    assert.equal(clientOf(peer, { 'x-forwarded-proto': 'https, http' }, 1).protocol, 'https');
    assert.equal(clientOf(peer, { 'x-forwarded-proto': '' }, 1).protocol, 'http');
    assert.equal(clientOf({ ...peer, encrypted: true }, {}, 0).protocol, 'https');
  });
});
