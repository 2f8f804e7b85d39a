import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newCustomer, useUserService } from './support';

const users = useUserService();

const registeredEvents = (email: string) =>
  users.database.pool.query(
    `SELECT 1 FROM outbox WHERE event_type = 'USER_REGISTERED' AND envelope->'data'->>'email' = $1`,
    [email],
  );

test('when someone registers a taken email, then 409 tells only that, and the account and its events are untouched', async () => {
  const owner = newCustomer({ name: 'Real Owner' });
  const created = await users.service.http.post('/users/register', owner);
  assert.equal(created.status, 201);

  const attempt = await users.service.http.post('/users/register', {
    email: owner.email,
    password: 'Another-Pass-9',
    name: 'Someone Else',
  });

  assert.equal(attempt.status, 409);
  assert.deepEqual(Object.keys(attempt.body).sort(), [
    'detail',
    'requestId',
    'status',
    'title',
    'type',
  ]);
  assert.equal(attempt.body.detail, 'An account with this email already exists');
  assert.doesNotMatch(attempt.text, new RegExp(`${created.body.id}|Real Owner`));
  const login = await users.service.http.post('/users/login', {
    email: owner.email,
    password: owner.password,
  });
  assert.equal(login.status, 200, 'the owner keeps their password');
  assert.equal(login.body.user.name, 'Real Owner');
  assert.equal((await registeredEvents(owner.email)).rowCount, 1);
});
