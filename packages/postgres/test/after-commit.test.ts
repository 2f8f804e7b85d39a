import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@shop/testkit';
import { afterCommit, createPool, withTransaction, type Pool } from '../src';

let database: TestDatabase;
let pool: Pool;

before(async () => {
  database = await createTestDatabase('after_commit');
  pool = createPool(database.url);
  await pool.query('CREATE TABLE notes (body text NOT NULL)');
});
after(async () => {
  await pool.end();
  await database.drop();
});

/** Whether another connection sees the note: what a relay woken by the hook would find. */
async function visible(body: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM notes WHERE body = $1', [body]);
  return rowCount === 1;
}

test('when a transaction commits, then its hooks run once, after the rows are visible to others', async () => {
  const seen: boolean[] = [];
  const checks: Promise<void>[] = [];
  await withTransaction(pool, async (tx) => {
    await tx.query("INSERT INTO notes VALUES ('committed')");
    afterCommit(tx, () => checks.push(visible('committed').then((v) => void seen.push(v))));
    assert.equal(checks.length, 0, 'not run inside the transaction');
  });
  await Promise.all(checks);
  assert.deepEqual(seen, [true]);
});

test('when a transaction rolls back, then its hooks never run', async () => {
  let ran = false;
  await assert.rejects(
    withTransaction(pool, async (tx) => {
      await tx.query("INSERT INTO notes VALUES ('rolled back')");
      afterCommit(tx, () => (ran = true));
      throw new Error('changed my mind');
    }),
  );
  assert.equal(ran, false);
  assert.equal(await visible('rolled back'), false);
});

test('when the statement ran outside a transaction, then the hook runs at once', async () => {
  let ran = false;
  await pool.query("INSERT INTO notes VALUES ('autocommit')");
  afterCommit(pool, () => (ran = true));
  assert.equal(ran, true);
});
