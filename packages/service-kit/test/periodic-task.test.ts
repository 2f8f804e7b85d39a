import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { waitFor } from '@shop/testkit';
import { createLogger, startPeriodicTask, type PeriodicTaskOptions } from '../src';

interface Line {
  level: string;
  msg: string;
}

function capturedLogger() {
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'tasks', level: 'info', destination }) };
}

/** A task whose passes are counted; each pass does what `pass` says. */
function countedTask(
  overrides: Partial<PeriodicTaskOptions> & { pass?: (n: number) => Promise<unknown> },
) {
  const { lines, logger } = capturedLogger();
  const state = { passes: 0, running: 0, mostAtOnce: 0 };
  const task = startPeriodicTask({
    name: 'test task',
    logger,
    everyMs: 10_000,
    ...overrides,
    run: async () => {
      state.passes += 1;
      state.running += 1;
      state.mostAtOnce = Math.max(state.mostAtOnce, state.running);
      try {
        const outcome = await overrides.pass?.(state.passes);
        return outcome === 'more' ? 'more' : 'done';
      } finally {
        state.running -= 1;
      }
    },
  });
  return { task, state, lines };
}

test('when a task is started, then it runs every everyMs, the first pass a period after the start', async () => {
  const { task, state } = countedTask({ everyMs: 30 });
  assert.equal(state.passes, 0, 'no pass at the start without runAtStart');
  await waitFor(() => state.passes >= 3, { what: 'three passes', intervalMs: 5 });
  await task.stop();
});

test('when runAtStart is set, then the first pass runs at once', async () => {
  const { task, state } = countedTask({ runAtStart: true });
  await waitFor(() => state.passes === 1, { what: 'the first pass', timeoutMs: 1000 });
  await task.stop();
});

test('when a task is nudged, then its next pass runs at once instead of at the next tick', async () => {
  const { task, state } = countedTask({});
  task.nudge();
  await waitFor(() => state.passes === 1, { what: 'the nudged pass', timeoutMs: 1000 });
  await task.stop();
});

test('when nudges arrive during the nudge delay, then they fold into one pass', async () => {
  const { task, state } = countedTask({ nudgeDelayMs: 30 });
  for (let i = 0; i < 5; i++) task.nudge();
  await sleep(100);
  assert.equal(state.passes, 1);
  await task.stop();
});

test('when nudged during a slow pass, then passes never overlap and one more follows the slow one', async () => {
  const { task, state } = countedTask({
    everyMs: 20,
    pass: (n) => sleep(n === 1 ? 150 : 0),
  });
  await waitFor(() => state.running === 1, { what: 'the slow pass', intervalMs: 5 });
  for (let i = 0; i < 5; i++) task.nudge();
  await waitFor(() => state.passes >= 2, { what: 'the pass after the slow one' });
  await task.stop();
  assert.equal(state.mostAtOnce, 1);
});

test('when a pass says there is more, then the next one runs at once', async () => {
  const { task, state } = countedTask({
    runAtStart: true,
    pass: async (n) => (n < 4 ? 'more' : 'done'),
  });
  await waitFor(() => state.passes === 4, { what: 'four passes', timeoutMs: 1000 });
  await sleep(50);
  assert.equal(state.passes, 4, 'a finished pass waits for the next tick');
  await task.stop();
});

test('when passes keep failing, then the outage is logged once when it starts and once when it ends', async () => {
  const { task, state, lines } = countedTask({
    everyMs: 10,
    runAtStart: true,
    pass: async (n) => {
      if (n <= 5 || (n >= 8 && n <= 9)) throw new Error('database down');
    },
  });
  await waitFor(() => state.passes >= 10, { what: 'two outages and two recoveries' });
  await task.stop();
  const warnings = lines.filter((line) => line.level === 'warn');
  const recoveries = lines.filter((line) => line.msg === 'test task works again');
  assert.equal(warnings.length, 2, JSON.stringify(lines));
  assert.equal(recoveries.length, 2, JSON.stringify(lines));
});

test('when passes fail, then the wait doubles up to maxBackoffMs and a nudge does not cut it', async () => {
  const startedAt: number[] = [];
  const { task, state } = countedTask({
    everyMs: 20,
    maxBackoffMs: 80,
    runAtStart: true,
    pass: async () => {
      startedAt.push(Date.now());
      throw new Error('broker away');
    },
  });
  await waitFor(() => state.passes >= 1, { what: 'the first pass', intervalMs: 5 });
  task.nudge();
  await waitFor(() => state.passes >= 4, { what: 'four failed passes' });
  await task.stop();
  const waits = startedAt.slice(1, 4).map((at, index) => at - startedAt[index]!);
  // 40, 80, 80 ms: twice everyMs after the first failure, then capped.
  assert.ok(waits[0]! >= 35, `waits ${waits.join(', ')}`);
  assert.ok(waits[1]! >= 75 && waits[2]! >= 75, `waits ${waits.join(', ')}`);
});

test('when stopped during a pass, then stop waits for it, the pass sees the abort, and no pass follows', async () => {
  let sawAbort = false;
  let finished = false;
  const { logger } = capturedLogger();
  let passes = 0;
  const task = startPeriodicTask({
    name: 'slow task',
    logger,
    everyMs: 10,
    runAtStart: true,
    run: async (signal) => {
      passes += 1;
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      sawAbort = signal.aborted;
      await sleep(30);
      finished = true;
    },
  });
  await waitFor(() => passes === 1, { what: 'the pass', intervalMs: 5 });
  await task.stop();
  assert.ok(sawAbort && finished, 'stop resolved before the pass ended');
  task.nudge();
  await sleep(50);
  assert.equal(passes, 1);
});
