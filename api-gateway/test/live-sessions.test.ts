import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LiveSessions } from '../src/domain/live-sessions';

describe('LiveSessions', () => {
  const FRESH_MS = 500;
  const start = () => {
    let clock = 10_000;
    const sessions = new LiveSessions(() => clock, FRESH_MS);
    return { sessions, advance: (ms: number) => (clock += ms), at: () => clock };
  };

  test('when Redis confirms a session, then it is fresh for SESSION_CHECK_MS after the question, not after the answer', () => {
    const { sessions, advance, at } = start();
    const askedAt = at();
    advance(200);
    sessions.confirm('s', askedAt);

    advance(FRESH_MS - 201);
    assert.equal(sessions.isFresh('s'), true);
    advance(1);
    assert.equal(sessions.isFresh('s'), false);
  });

  test('when an older "live" answer arrives after a newer "ended" one, then the session stays ended', () => {
    const { sessions, advance, at } = start();
    const olderQuestion = at();
    advance(10);
    sessions.end('s');
    sessions.confirm('s', olderQuestion);

    assert.equal(sessions.isFresh('s'), false);
  });

  test('when an older "live" answer arrives after a newer one, then the newer one still counts', () => {
    const { sessions, advance, at } = start();
    const older = at();
    advance(300);
    sessions.confirm('s', at());
    sessions.confirm('s', older);
    advance(FRESH_MS - 1);

    assert.equal(sessions.isFresh('s'), true);
  });

  test('when sessions go unused, then they are forgotten', () => {
    const { sessions, advance, at } = start();
    sessions.confirm('a', at());
    sessions.end('b');
    advance(FRESH_MS);
    sessions.confirm('c', at());

    assert.equal(sessions.size, 1);
  });
});
