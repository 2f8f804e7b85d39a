import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeWindow } from '../src/domain/rate-window';

describe('rate limit windows', () => {
  const policy = { limit: 100, windowMs: 60_000 };

  test('when the count reaches the limit, then the request passes with nothing remaining', () => {
    const verdict = judgeWindow(policy, { hits: 100, remainingMs: 30_500 });
    assert.equal(verdict.exceeded, false);
    assert.equal(verdict.rateLimit, '"100-in-60sec"; r=0; t=31');
    assert.equal(verdict.policy, '"100-in-60sec"; q=100; w=60');
  });

  test('when the count passes the limit, then the request is refused until the window closes', () => {
    const verdict = judgeWindow(policy, { hits: 101, remainingMs: 1200 });
    assert.equal(verdict.exceeded, true);
    assert.equal(verdict.retryAfterSeconds, 2);
  });

  test('when the window is closing this very moment, then Retry-After still says at least 1 s', () => {
    assert.equal(judgeWindow(policy, { hits: 500, remainingMs: 0 }).retryAfterSeconds, 1);
  });
});
