// Runs every workspace's tests in one node:test run, so CI reads one summary.
// `npm test` runs all of them; `npm test -- order-service` runs the files whose path contains that.
import { spawn } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const testDirs = [
  ...readdirSync(path.join(root, 'packages')).map((name) => path.join('packages', name, 'test')),
  ...readdirSync(root).map((name) => path.join(name, 'test')),
  'e2e',
];
const filters = process.argv.slice(2);
const files = testDirs
  .filter((dir) => existsSync(path.join(root, dir)))
  .flatMap((dir) =>
    readdirSync(path.join(root, dir))
      .filter((file) => file.endsWith('.test.ts'))
      .map((file) => path.join(dir, file)),
  )
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();

if (files.length === 0) {
  console.error(`No test files match ${filters.join(', ') || 'anything'}`);
  process.exit(1);
}

// The suites wait on Postgres, RabbitMQ and Redis far more than on the CPU, so run a few files at
// once even on two cores. Each file isolates itself (own database, queues and keys).
const concurrency = process.env.TEST_CONCURRENCY ?? '4';
const child = spawn(
  process.execPath,
  [
    '--conditions=development',
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=240000',
    ...files,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
