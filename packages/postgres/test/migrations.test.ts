import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@shop/testkit';
import {
  createPool,
  dropDatabase,
  migrate,
  openServiceDatabase,
  withTransaction,
  type Pool,
} from '../src';

let database: TestDatabase;
let pool: Pool;

before(async () => {
  database = await createTestDatabase('migrations');
  pool = createPool(database.url, { max: 20 });
});
after(async () => {
  await pool.end();
  await database.drop();
});

const migrations = [
  {
    version: 1,
    name: 'widgets',
    sql: 'CREATE TABLE widgets (id serial PRIMARY KEY, name text NOT NULL)',
  },
  {
    version: 2,
    name: 'widget colour',
    sql: "ALTER TABLE widgets ADD COLUMN colour text NOT NULL DEFAULT 'red'",
  },
];

test('when five replicas migrate at once, then each migration is applied exactly once', async () => {
  const results = await Promise.all(Array.from({ length: 5 }, () => migrate(pool, migrations)));
  assert.deepEqual(results.flat().sort(), [1, 2]);
  const { rows } = await pool.query('SELECT version FROM schema_migrations ORDER BY version');
  assert.deepEqual(rows, [{ version: 1 }, { version: 2 }]);
  await pool.query("INSERT INTO widgets (name) VALUES ('a')");
  assert.equal((await pool.query('SELECT colour FROM widgets')).rows[0].colour, 'red');
});

test('when a package keeps its own history table, then its versions do not collide', async () => {
  const applied = await migrate(
    pool,
    [{ version: 1, name: 'gadgets', sql: 'CREATE TABLE gadgets (id int)' }],
    {
      table: 'gadget_migrations',
      lockKey: 5,
    },
  );
  assert.deepEqual(applied, [1]);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM gadget_migrations')).rows[0].n, 1);
});

test('when a migration fails, then it is rolled back and not recorded', async () => {
  const broken = [
    { version: 3, name: 'broken', sql: 'CREATE TABLE half (id int); SELECT * FROM missing_table' },
  ];
  await assert.rejects(migrate(pool, broken), /missing_table/);
  const { rows } = await pool.query(
    "SELECT to_regclass('half') AS half, max(version) AS v FROM schema_migrations",
  );
  assert.deepEqual(rows, [{ half: null, v: 2 }]);
});

test('when work inside a transaction throws, then nothing of it is kept', async () => {
  await assert.rejects(
    withTransaction(pool, async (tx) => {
      await tx.query("INSERT INTO widgets (name) VALUES ('ghost')");
      throw new Error('changed my mind');
    }),
    /changed my mind/,
  );
  assert.equal(
    (await pool.query("SELECT count(*)::int AS n FROM widgets WHERE name = 'ghost'")).rows[0].n,
    0,
  );
});

test('when a service opens a database that does not exist yet, then it is created and migrated', async () => {
  const url = new URL(database.url);
  url.pathname = `/${url.pathname.slice(1)}_fresh`;
  const fresh = await openServiceDatabase(url.toString(), { migrations, lockKey: 9 });
  try {
    const { rows } = await fresh.query('SELECT max(version) AS v FROM schema_migrations');
    assert.equal(rows[0].v, 2);
  } finally {
    await fresh.end();
    await dropDatabase(url.toString());
  }
});
