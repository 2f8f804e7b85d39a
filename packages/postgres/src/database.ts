import pg from 'pg';

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The same server and credentials as `serverUrl`, with the database `name`. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/** Runs `work` on a connection to the server's `postgres` database, given the target's name. */
async function onServerOf<T>(
  connectionString: string,
  work: (admin: pg.Client, name: string) => Promise<T>,
): Promise<T> {
  const name = decodeURIComponent(new URL(connectionString).pathname.slice(1));
  if (!name) throw new Error('The database URL names no database');
  const admin = new pg.Client({ connectionString: databaseUrl(connectionString, 'postgres') });
  await admin.connect();
  try {
    return await work(admin, name);
  } finally {
    await admin.end();
  }
}

/**
 * Creates the database named in `connectionString` if it does not exist, by connecting to the
 * server's `postgres` database. Lets `npm start` and the tests run against a bare server.
 */
export function ensureDatabase(connectionString: string): Promise<void> {
  return onServerOf(connectionString, async (admin, name) => {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${quoteIdentifier(name)}`).catch((error: unknown) => {
        // Another replica or test created it between our check and our create: 42P04 when its
        // create committed first, 23505 (pg_database's unique index) when both ran at once.
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      });
    }
  });
}

export function dropDatabase(connectionString: string): Promise<void> {
  return onServerOf(connectionString, async (admin, name) => {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  });
}
