import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { MongoClient } from 'mongodb';
import { start } from '@shop/mongo-embedded';
import { externalUrl } from './support/target';

const CLI = path.join(__dirname, '..', 'src', 'cli.ts');

async function startCli(dataDir: string) {
  const child = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', CLI, '--port', '0', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [uri] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return { child, uri };
}

test(
  'when a write with { j: true } is acknowledged and the process is killed at once, then it is on disk',
  { skip: externalUrl !== undefined && 'kills the embedded server process' },
  async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'mongo-embedded-journal-'));
    const { child, uri } = await startCli(dataDir);
    try {
      const client = await new MongoClient(uri).connect();
      const orders = client.db('shop').collection('orders');
      await orders.insertOne({ _id: 'o-1' as never, total: 5 }, { writeConcern: { j: true } });
      // SIGKILL: no stop(), no pending-snapshot flush; only what was synced survives.
      child.kill('SIGKILL');
      await once(child, 'exit');
      await client.close();

      const restarted = await start({ dataDir });
      const reader = await new MongoClient(restarted.uri).connect();
      const found = await reader.db('shop').collection('orders').find().toArray();
      await reader.close();
      await restarted.stop();

      assert.deepEqual(found, [{ _id: 'o-1', total: 5 }]);
    } finally {
      child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  },
);
