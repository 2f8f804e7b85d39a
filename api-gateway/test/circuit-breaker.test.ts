import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CircuitBreaker } from '../src/domain/circuit-breaker';

function breakerAt() {
  const clock = { now: 0 };
  const breaker = new CircuitBreaker(
    { failureThreshold: 3, resetTimeoutMs: 1000 },
    () => clock.now,
  );
  return { breaker, clock };
}

/** Opened by three failures in a row, and its reset time just passed. */
function breakerPastReset() {
  const opened = breakerAt();
  for (let i = 0; i < 3; i++) opened.breaker.recordFailure();
  opened.clock.now += 1000;
  return opened;
}

describe('circuit breaker', () => {
  test('when failures reach the threshold in a row, then the circuit opens and refuses calls', () => {
    const { breaker } = breakerAt();
    breaker.recordFailure();
    breaker.recordFailure();
    assert.equal(breaker.tryAcquire(), true);
    breaker.recordFailure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.tryAcquire(), false);
  });

  test('when a success comes between failures, then the count starts again', () => {
    const { breaker } = breakerAt();
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    breaker.recordFailure();
    assert.equal(breaker.state, 'closed');
  });

  test('when the reset time passes, then one trial goes through and its success closes the circuit', () => {
    const { breaker } = breakerPastReset();
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.tryAcquire(), false, 'one trial at a time');
    breaker.recordSuccess();
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.tryAcquire(), true);
  });

  test('when the trial fails, then the circuit opens again for a full reset time', () => {
    const { breaker, clock } = breakerPastReset();
    assert.equal(breaker.tryAcquire(), true);
    breaker.recordFailure();
    assert.equal(breaker.state, 'open');
    clock.now += 999;
    assert.equal(breaker.tryAcquire(), false);
    clock.now += 1;
    assert.equal(breaker.tryAcquire(), true);
  });

  test('when a trial never reports back, then another trial is allowed after the reset time', () => {
    const { breaker, clock } = breakerPastReset();
    assert.equal(breaker.tryAcquire(), true);
    clock.now += 1000;
    assert.equal(breaker.tryAcquire(), true);
  });
});
