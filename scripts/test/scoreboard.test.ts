import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTap, scoreboardMarkdown, scoreboardRows } from '../system/scoreboard';

// Real node:test TAP shapes: a file wrapping a suite wrapping tests, a failed test with its YAML
// block, a skipped test, and a file that failed as a whole (a timeout before any test ran).
const TAP = `TAP version 13
# Subtest: /repo/e2e/faults.test.ts
    # Subtest: faults with the whole system running
        # Subtest: when Redis is unreachable, then the gateway fails open
        ok 1 - when Redis is unreachable, then the gateway fails open
          ---
          duration_ms: 2345.6
          ...
        # Subtest: when order-service is SIGKILLed, then no order is lost
        not ok 2 - when order-service is SIGKILLed, then no order is lost
          ---
          duration_ms: 999
          failureType: 'testCodeFailure'
          error: 'order abc left PENDING'
          ...
        # Subtest: when a hash \\# appears, then it is skipped
        ok 3 - when a hash \\# appears, then it is skipped # SKIP not today
          ---
          duration_ms: 0
          ...
        1..3
    ok 1 - faults with the whole system running
      ---
      duration_ms: 3400
      type: 'suite'
      ...
    1..1
not ok 1 - /repo/e2e/faults.test.ts
# Subtest: /repo/e2e/replicas.test.ts
not ok 2 - /repo/e2e/replicas.test.ts
  ---
  duration_ms: 180000
  failureType: 'testTimeoutFailure'
  error: 'test timed out after 180000ms'
  ...
1..2
`;

test('when the suites ran, then each test is a row split into what was done and what held', () => {
  assert.deepEqual(scoreboardRows(parseTap(TAP)), [
    {
      scenario: 'faults with the whole system running',
      done: 'Redis is unreachable',
      held: 'the gateway fails open',
      passed: true,
      durationMs: 2345.6,
    },
    {
      scenario: 'faults with the whole system running',
      done: 'order-service is SIGKILLed',
      held: 'no order is lost',
      passed: false,
      durationMs: 999,
    },
    {
      scenario: 'replicas.test.ts',
      done: 'the whole suite',
      held: 'test timed out after 180000ms',
      passed: false,
      durationMs: 180000,
    },
  ]);
});

test('when the rows are written, then the table says what broke and escapes pipes', () => {
  const markdown = scoreboardMarkdown(
    [
      { scenario: 'a | b', done: 'x', held: 'y', passed: false, durationMs: 1500 },
      { scenario: 'c', done: 'z', held: 'w', passed: true, durationMs: undefined },
    ],
    'Last run: now.',
  );
  assert.match(markdown, /^# Resilience scoreboard\n/);
  assert.match(markdown, /\n1 of 2 scenarios held\.\n/);
  assert.match(markdown, /\n\| a \\\| b \| x \| y \| \*\*broke\*\* \| 1\.5 \|\n/);
  assert.match(markdown, /\n\| c \| z \| w \| held \| {2}\|\n/);
});
