import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { DEPLOY_TOOLS, readText, runTool, type DeployTool } from './support';

// `npm test` runs the deployment checks, which need command-line tools beyond Node: a new user
// must learn from README which ones, and a machine without one must say which is missing.
const tools = Object.keys(DEPLOY_TOOLS) as DeployTool[];
const empty = mkdtempSync(path.join(tmpdir(), 'shop-no-tools-'));
after(() => rmSync(empty, { recursive: true, force: true }));

describe('the tools the deployment checks run', () => {
  test('when a tool is missing, then its check fails with one line naming it and how to install it', () => {
    const path = process.env.PATH;
    process.env.PATH = empty;
    try {
      for (const tool of tools) {
        assert.throws(
          () => runTool(tool, ['--version']),
          (error: Error) =>
            error.message ===
              `'${tool}' is not installed; install it with: ${DEPLOY_TOOLS[tool]}` &&
            !error.message.includes('\n'),
          tool,
        );
      }
    } finally {
      process.env.PATH = path;
    }
  });

  test('when README lists what npm test needs, then every tool has a row with how to install it', () => {
    const requirements = readText('README.md').split('\n## Requirements\n')[1]?.split('\n## ')[0];
    assert.ok(requirements, 'README has a Requirements section');
    for (const tool of tools) {
      const row = requirements.split('\n').find((line) => line.startsWith(`| \`${tool}\``));
      assert.ok(row, `README's Requirements table has no row for ${tool}`);
      assert.match(row, /install|brew|apt-get/, `${tool}'s row says how to install it`);
    }
  });

  test('when .ci/run prepares the machine, then it installs every tool that is missing', () => {
    const ci = readText('.ci/run');
    for (const tool of tools) {
      assert.ok(ci.includes(`command -v ${tool} `), `.ci/run does not check for ${tool}`);
    }
  });

  test('when the GitHub workflow tests, then a step before npm test provides every tool', () => {
    const workflow = parse(readText('.github/workflows/ci.yml')) as {
      jobs: { test: { steps: { run?: string }[] } };
    };
    const runs = workflow.jobs.test.steps.map((step) => step.run ?? '');
    const npmTest = runs.indexOf('npm test');
    assert.ok(npmTest > 0, 'the test job runs npm test');
    const before = runs.slice(0, npmTest).join('\n');
    for (const tool of tools) {
      assert.match(before, new RegExp(`^\\s*${tool} (--)?version`, 'm'), `${tool} is not provided`);
    }
  });
});
