import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { MongoClient } from 'mongodb';

const CLI = path.join(__dirname, '..', 'src', 'cli.ts');

test('when the CLI starts on a free port with a data dir, then it prints one URI line, serves it and stops cleanly on SIGTERM', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mongo-embedded-cli-'));
  const child = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', CLI, '--port', '0', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const lines = createInterface({ input: child.stdout });
    const [uri] = (await once(lines, 'line')) as [string];
    assert.match(uri, /^mongodb:\/\/127\.0\.0\.1:\d+$/);

    const client = await new MongoClient(`${uri}/shop`).connect();
    await client.db().collection('carts').insertOne({ userId: 'u-1' });
    await client.close();
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];

    assert.equal(code, 0);
    assert.deepEqual(await readdir(path.join(dataDir, 'shop')), ['carts.bson']);
  } finally {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});
