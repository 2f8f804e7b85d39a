// `npm run scoreboard`: runs the end-to-end fault and replica suites, one file at a time, and
// writes their outcome as a table to docs/resilience-scoreboard.md.
// `npm run scoreboard -- --from results.tap` builds the table from a saved TAP run instead.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { parseTap, scoreboardMarkdown, scoreboardRows } from './system/scoreboard';

const root = path.resolve(__dirname, '..');
const SUITES = ['e2e/faults.test.ts', 'e2e/replicas.test.ts', 'e2e/saga-resilience.test.ts'];
const output = path.join(root, 'docs', 'resilience-scoreboard.md');

function runSuites(): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=development',
      '--import',
      'tsx',
      '--test',
      '--test-reporter=tap',
      '--test-concurrency=1',
      '--test-timeout=600000',
      ...SUITES,
    ],
    {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let tap = '';
  child.stdout.on('data', (chunk: Buffer) => {
    tap += chunk.toString();
    process.stdout.write(chunk);
  });
  return new Promise((resolve) => child.on('exit', () => resolve(tap)));
}

async function main() {
  const { values } = parseArgs({ options: { from: { type: 'string' } } });
  const load = os.loadavg()[0]!.toFixed(1);
  const tap = values.from ? readFileSync(values.from, 'utf8') : await runSuites();
  const rows = scoreboardRows(parseTap(tap));
  if (rows.length === 0) throw new Error('the TAP output holds no test results');
  const about =
    `Last run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ` +
    `${os.cpus().length} CPU cores, load average ${load} when it began.`;
  // Formatted as the repository's own Markdown is, so `npm run lint` accepts the file as written.
  const options = (await prettier.resolveConfig(output)) ?? {};
  writeFileSync(
    output,
    await prettier.format(scoreboardMarkdown(rows, about), { ...options, filepath: output }),
  );
  console.log(
    `\nWrote ${path.relative(root, output)}: ${rows.filter((row) => row.passed).length} of ${rows.length} held.`,
  );
  if (rows.some((row) => !row.passed)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`scoreboard failed: ${(error as Error).message}`);
  process.exit(1);
});
