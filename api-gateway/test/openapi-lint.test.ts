import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { buildOpenApiDocument } from '../src/openapi/document';

const gatewayDir = path.resolve(__dirname, '..');
const redocly = path.resolve(gatewayDir, '..', 'node_modules', '.bin', 'redocly');

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
}

test("when the generated document is linted with Redocly's recommended rules, then it has no error and no warning", async () => {
  // The ignore file names the document by path relative to itself, so the three sit together.
  const dir = await mkdtemp(path.join(tmpdir(), 'openapi-lint-'));
  try {
    await writeFile(path.join(dir, 'openapi.json'), JSON.stringify(buildOpenApiDocument()));
    for (const file of ['redocly.yaml', '.redocly.lint-ignore.yaml'])
      await copyFile(path.join(gatewayDir, file), path.join(dir, file));
    const { stdout } = await promisify(execFile)(
      redocly,
      ['lint', 'openapi.json', '--format=json'],
      {
        cwd: dir,
        // Nothing leaves the machine: no usage report, no version check.
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    const report = JSON.parse(stdout) as LintReport;
    const found = report.problems.map(
      (problem) => `${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`,
    );
    assert.deepEqual(found, []);
    assert.deepEqual(report.totals, { errors: 0, warnings: 0, ignored: 4 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
