import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isPortFree, leasePort } from '../system/ports';

const leaseFile = (port: number) => path.join(os.tmpdir(), 'shop-port-leases', String(port));
const ephemeralStart = Number(
  readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
);

test('when ports are leased, then each is free, below the ephemeral range, distinct and held by a file until released', async () => {
  const leases = await Promise.all(Array.from({ length: 20 }, () => leasePort()));
  try {
    const ports = leases.map((lease) => lease.port);
    assert.equal(new Set(ports).size, ports.length, 'no port leased twice');
    for (const port of ports) {
      assert.ok(port >= 20_000 && port < ephemeralStart, `${port} is outside the ephemeral range`);
      assert.equal(await isPortFree(port, '127.0.0.1'), true);
      assert.equal(readFileSync(leaseFile(port), 'utf8'), String(process.pid));
    }
  } finally {
    for (const lease of leases) lease.release();
  }
  for (const { port } of leases) assert.equal(existsSync(leaseFile(port)), false);
});

test("when a lease's holder has died, then its port may be leased again; a live holder's may not", async () => {
  const stale = await leasePort();
  // A pid that was alive a moment ago and is gone now: a child that has exited.
  writeFileSync(leaseFile(stale.port), String(spawnSync(process.execPath, ['-e', '0']).pid));
  const live = await leasePort();

  // Offer the live holder's port first, then the dead holder's.
  const span = ephemeralStart - 20_000;
  const picks = [live.port, stale.port].map((port) => (port - 20_000 + 0.5) / span);
  const originalRandom = Math.random;
  Math.random = () => picks.shift() ?? originalRandom();
  try {
    const again = await leasePort();
    assert.equal(again.port, stale.port, "the dead holder's port, after skipping the live one");
    assert.equal(readFileSync(leaseFile(stale.port), 'utf8'), String(process.pid));
    again.release();
  } finally {
    Math.random = originalRandom;
    live.release();
  }
});

test('when the leased port is taken by a listener, then another port is leased', async () => {
  const squatted = await leasePort();
  squatted.release();
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(squatted.port, '127.0.0.1', resolve));
  const originalRandom = Math.random;
  const span = ephemeralStart - 20_000;
  let first = true;
  Math.random = () => {
    if (!first) return originalRandom();
    first = false;
    return (squatted.port - 20_000 + 0.5) / span;
  };
  try {
    const lease = await leasePort();
    assert.notEqual(lease.port, squatted.port);
    assert.equal(
      existsSync(leaseFile(squatted.port)),
      false,
      'the refused port is not left leased',
    );
    lease.release();
  } finally {
    Math.random = originalRandom;
    await new Promise((resolve) => squatter.close(resolve));
  }
});
