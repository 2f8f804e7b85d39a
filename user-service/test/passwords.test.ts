import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  needsRehash,
  verifyPassword,
} from '../src/security/passwords';
import { FAST_SCRYPT } from './support';

test('when a password is hashed, then the hash names scrypt and its params, and only that password matches', async () => {
  const hash = await hashPassword('Correct-Horse-7', FAST_SCRYPT);
  assert.match(hash, /^scrypt\$1024\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  assert.equal(await verifyPassword('Correct-Horse-7', hash), true);
  assert.equal(await verifyPassword('correct-horse-7', hash), false);
});

test('when the same password is hashed twice, then the salts differ', async () => {
  const [a, b] = await Promise.all([
    hashPassword('Correct-Horse-7', FAST_SCRYPT),
    hashPassword('Correct-Horse-7', FAST_SCRYPT),
  ]);
  assert.notEqual(a, b);
});

test('when a password is typed with composed or decomposed accents, then both match', async () => {
  const hash = await hashPassword('Caf\u00e9-Noir-1', FAST_SCRYPT);
  assert.equal(await verifyPassword('Cafe\u0301-Noir-1', hash), true);
});

test('when a stored hash is malformed or has absurd params, then nothing matches it', async () => {
  const hash = await hashPassword('Correct-Horse-7', FAST_SCRYPT);
  const parts = hash.split('$');
  assert.equal(await verifyPassword('Correct-Horse-7', 'plain-text'), false);
  assert.equal(await verifyPassword('Correct-Horse-7', hash.slice(0, -4)), false);
  parts[1] = String(2 ** 30);
  assert.equal(await verifyPassword('Correct-Horse-7', parts.join('$')), false);
});

test('when the default params are used, then they are the documented scrypt N=2^15, r=8, p=3', async () => {
  assert.deepEqual(DEFAULT_SCRYPT_PARAMS, { N: 32768, r: 8, p: 3 });
  const hash = await hashPassword('Correct-Horse-7');
  assert.equal(await verifyPassword('Correct-Horse-7', hash), true);
  assert.equal(needsRehash(hash, DEFAULT_SCRYPT_PARAMS), false);
  assert.equal(needsRehash(hash, FAST_SCRYPT), true);
});
