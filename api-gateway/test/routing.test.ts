import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accessFor, hasDotSegment, isCredentialAttempt, matchRoute } from '../src/domain/routing';

describe('gateway routing rules', () => {
  test('when a path is canonical or the alias, then the upstream path drops the prefix', () => {
    assert.equal(matchRoute('/api/v1/users/me')?.upstreamUrl, '/users/me');
    assert.equal(matchRoute('/api/users/me')?.upstreamUrl, '/users/me');
    assert.equal(matchRoute('/api/v1/products?q=a&page=2')?.upstreamUrl, '/products?q=a&page=2');
    assert.equal(matchRoute('/api/products')?.upstreamUrl, '/products');
    assert.equal(matchRoute('/API/V1/Products/x')?.upstreamUrl, '/Products/x');
  });

  test('when a path is matched, then its route, label, path and decoded rest come with it', () => {
    assert.deepEqual(matchRoute('/api/v1/users/log%69n/?next=%ff'), {
      route: { resource: 'users', upstream: 'user-service' },
      pattern: '/api{/v1}/users{/*rest}',
      path: '/api/v1/users/log%69n/',
      rest: ['login', ''],
      upstreamUrl: '/users/log%69n/?next=%ff',
    });
    assert.deepEqual(matchRoute('/api/orders/')?.rest, []);
    assert.deepEqual(matchRoute('/api/inventory')?.rest, []);
  });

  test('when a path is no gateway route, then nothing matches', () => {
    for (const url of [
      '/api/usersX',
      '/api/v1',
      '/api/docs',
      '/health',
      '/api/v2/users',
      '/x/api/users',
    ]) {
      assert.equal(matchRoute(url), undefined, url);
    }
  });

  test('when a segment is not valid percent-encoding, then the match has no rest', () => {
    assert.equal(matchRoute('/api/products/%E0%A4%A')?.rest, null);
  });

  test('when users routes are called, then only register, login and refresh by POST are public', () => {
    assert.equal(accessFor('users', 'POST', ['register']), 'public');
    assert.equal(accessFor('users', 'POST', ['login']), 'public');
    assert.equal(accessFor('users', 'POST', ['refresh']), 'public');
    assert.equal(accessFor('users', 'POST', ['logout']), 'authenticated');
    assert.equal(accessFor('users', 'GET', ['login']), 'authenticated');
    assert.equal(accessFor('users', 'GET', ['me']), 'authenticated');
    assert.equal(accessFor('users', 'POST', ['login', 'extra']), 'authenticated');
    assert.equal(
      accessFor('users', 'POST', ['LOGIN']),
      'public',
      'services match paths case-insensitively',
    );
    assert.equal(accessFor('users', 'GET', []), 'authenticated');
  });

  test('when products are read, then it is public; when written, it needs a caller', () => {
    assert.equal(accessFor('products', 'GET', []), 'public');
    assert.equal(accessFor('products', 'GET', ['p1']), 'public');
    for (const method of ['POST', 'PATCH', 'PUT', 'DELETE']) {
      assert.equal(accessFor('products', method, ['p1']), 'authenticated', method);
    }
  });

  test('when orders or inventory are called, then a caller is always needed', () => {
    for (const method of ['GET', 'POST', 'PUT']) {
      assert.equal(accessFor('orders', method, []), 'authenticated');
      assert.equal(accessFor('inventory', method, ['p1']), 'authenticated');
    }
  });

  test('when logins and registrations are posted, then they are credential attempts', () => {
    assert.equal(isCredentialAttempt('users', 'POST', ['login']), true);
    assert.equal(isCredentialAttempt('users', 'POST', ['register']), true);
    assert.equal(isCredentialAttempt('users', 'POST', ['refresh']), false);
    assert.equal(
      isCredentialAttempt('users', 'POST', ['Login']),
      true,
      'a capital letter is still a login',
    );
    assert.equal(isCredentialAttempt('products', 'POST', ['login']), false);
  });

  test('when a path has . or .. segments, plain or encoded, then it is caught', () => {
    assert.equal(hasDotSegment('/api/products/../users'), true);
    assert.equal(hasDotSegment('/api/products/%2E%2e/users'), true);
    assert.equal(hasDotSegment('/api/products/./x'), true);
    assert.equal(hasDotSegment('/api/products/v1.2'), false);
    assert.equal(hasDotSegment('/api/products/..'), true);
    assert.equal(hasDotSegment('/api/products/...'), false);
    assert.equal(hasDotSegment('/api/products/.hidden'), false);
    assert.equal(hasDotSegment('/api/products/%2e'), true);
  });
});
