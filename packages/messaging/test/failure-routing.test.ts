import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PermanentFailure, routeFailure } from '../src';
import { InboxUnavailableError } from '../src/inbox-transaction';

const policy = { maxAttempts: 4, retrySteps: 2 };

test('when a handler fails, then routeFailure retries with growing steps and dead-letters at the last attempt', () => {
  const error = new Error('database hiccup');
  assert.deepEqual(routeFailure(error, 0, policy), { kind: 'retry', step: 1, attempts: 1 });
  assert.deepEqual(routeFailure(error, 1, policy), { kind: 'retry', step: 2, attempts: 2 });
  assert.deepEqual(routeFailure(error, 2, policy), { kind: 'retry', step: 2, attempts: 3 });
  assert.deepEqual(routeFailure(error, 3, policy), {
    kind: 'dead-letter',
    reason: 'max-attempts',
    attempts: 4,
  });
});

test('when a handler throws a PermanentFailure, then routeFailure dead-letters it at once', () => {
  assert.deepEqual(routeFailure(new PermanentFailure('no such order'), 0, policy), {
    kind: 'dead-letter',
    reason: 'permanent-failure',
    attempts: 1,
  });
});

test('when the inbox database cannot take the work, then routeFailure hands the delivery back at any attempt count', () => {
  const unavailable = new InboxUnavailableError(new Error('connect ECONNREFUSED'));
  assert.deepEqual(routeFailure(unavailable, 0, policy), { kind: 'hand-back' });
  assert.deepEqual(routeFailure(unavailable, 3, policy), { kind: 'hand-back' });
  assert.deepEqual(routeFailure(unavailable, 10, { maxAttempts: 1, retrySteps: 0 }), {
    kind: 'hand-back',
  });
});
