import os from 'node:os';
import { gateway } from './gateway';
import { pipeline } from './pipeline';
import { reservation } from './reservation';
import { saga } from './saga';
import { startup } from './startup';
import { cleanUp, type Benchmark } from './support';

const BENCHMARKS: Benchmark[] = [startup, saga, reservation, gateway, pipeline];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !BENCHMARKS.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    console.error(`unknown benchmark: ${unknown.join(', ')}`);
    console.error(`choose from: ${BENCHMARKS.map((bench) => bench.name).join(', ')}`);
    process.exit(2);
  }
  const chosen =
    wanted.length === 0 ? BENCHMARKS : BENCHMARKS.filter((bench) => wanted.includes(bench.name));

  // ^C still removes the databases, queues and keys a half-run benchmark made.
  process.once('SIGINT', () => {
    console.error('\ninterrupted; cleaning up');
    void cleanUp().finally(() => process.exit(130));
  });

  console.log(
    `shop benchmarks: ${new Date().toISOString()}, ${os.availableParallelism()} CPUs, node ${
      process.version
    }`,
  );
  for (const bench of chosen) {
    console.log(`\n== ${bench.name}: ${bench.measures}`);
    const began = performance.now();
    try {
      await bench.run();
    } catch (error) {
      console.error(`  ${bench.name} failed: ${(error as Error).stack ?? String(error)}`);
      process.exitCode = 1;
    } finally {
      await cleanUp();
    }
    console.log(`  (${bench.name} took ${((performance.now() - began) / 1000).toFixed(1)} s)`);
  }
}

void main();
