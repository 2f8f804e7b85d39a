import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Tallies } from '../src/domain/tallies';

const policy = { limit: 100, windowMs: 60_000 };

function tallies() {
  let clock = 1_000_000;
  const subject = new Tallies(() => clock, { freshMs: 1000, localShare: 0.9 });
  return { subject, advance: (ms: number) => (clock += ms) };
}

describe('local tallies of shared rate limits', () => {
  test('when a client is new here, then Redis must decide and nothing is counted', () => {
    const { subject } = tallies();
    assert.equal(subject.countLocally('a', policy), undefined);
    assert.deepEqual(subject.takeUnsent(), []);
  });

  test("when Redis's answer is fresh and far from the limit, then hits are counted here and sent once", () => {
    const { subject } = tallies();
    subject.learn('a', policy, { hits: 10, remainingMs: 30_000 });
    assert.deepEqual(subject.countLocally('a', policy), { hits: 11, remainingMs: 30_000 });
    assert.deepEqual(subject.countLocally('a', policy), { hits: 12, remainingMs: 30_000 });
    assert.deepEqual(subject.takeUnsent(), [{ key: 'a', policy, hits: 2 }]);
    assert.deepEqual(subject.takeUnsent(), [], 'sent hits are not sent again');
  });

  test('when the count nears the limit, then Redis decides every request', () => {
    const { subject } = tallies();
    subject.learn('a', policy, { hits: 89, remainingMs: 30_000 });
    assert.deepEqual(subject.countLocally('a', policy)?.hits, 90);
    assert.equal(subject.countLocally('a', policy), undefined, '91 is past 90 % of 100');
    assert.equal(subject.takeUnsentOf('a'), 1, 'the hit counted here goes with the next script');
  });

  test("when Redis's answer is over a second old or its window has closed, then Redis decides", () => {
    const { subject, advance } = tallies();
    subject.learn('a', policy, { hits: 1, remainingMs: 1500 });
    advance(1001);
    assert.equal(subject.countLocally('a', policy), undefined, 'stale');
    subject.learn('a', policy, { hits: 2, remainingMs: 100 });
    advance(100);
    assert.equal(subject.countLocally('a', policy), undefined, 'closed');
  });

  test('when Redis answers while hits are still unsent, then the window it returns includes them', () => {
    const { subject } = tallies();
    subject.learn('a', policy, { hits: 5, remainingMs: 30_000 });
    subject.countLocally('a', policy);
    subject.countLocally('a', policy);
    assert.deepEqual(subject.learn('a', policy, { hits: 7, remainingMs: 29_000 }), {
      hits: 9,
      remainingMs: 29_000,
    });
    assert.deepEqual(subject.takeUnsent(), [{ key: 'a', policy, hits: 2 }]);
  });

  test('when windows have closed, then their tallies are dropped at the next answer a second later', () => {
    const { subject, advance } = tallies();
    subject.learn('a', policy, { hits: 1, remainingMs: 500 });
    subject.learn('b', policy, { hits: 1, remainingMs: 30_000 });
    advance(1000);
    subject.learn('c', policy, { hits: 1, remainingMs: 30_000 });
    assert.equal(subject.size, 2);
  });
});
