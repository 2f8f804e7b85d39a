import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newCustomer, useUserService } from './support';

const users = useUserService();

for (const [what, name] of [
  ['a NUL', 'Ada\u0000Lovelace'],
  ['a lone surrogate', 'Ada \ud83d'],
  ['a line break', 'Ada\nLovelace'],
]) {
  test(`when a registration's name holds ${what}, then 400 on name and no account exists`, async () => {
    const customer = newCustomer({ name });
    const response = await users.service.http.post('/users/register', customer);
    assert.equal(response.status, 400, response.text);
    assert.equal(response.body.errors[0].path, 'name');
    const { rows } = await users.database.pool.query('SELECT 1 FROM users WHERE email = $1', [
      customer.email,
    ]);
    assert.equal(rows.length, 0);
  });
}
