import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@shop/testkit';
import { replayDockerfile, type ReplayedImage } from '../test/dockerfile-replay';
import { SERVICE_NODE_FLAGS } from '../../scripts/system/services';
import {
  filesUnder,
  internalDependenciesInBuildOrder,
  readWorkspaces,
  root,
} from '../test/support';

// One image replayed end to end (the smallest: service-registry needs no database), so the
// Dockerfile's commands are proven to install, compile and start, not only to read well.
// Two installs and a compile take a minute alone and several on a busy machine, so this runs on
// its own (`npm run test:image`, a step of .ci/run) rather than inside `npm test`.
const service = 'service-registry';
const scratch = mkdtempSync(path.join(tmpdir(), 'shop-image-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe(`Dockerfile replayed for ${service} (no Docker engine: its steps, in a scratch folder)`, () => {
  let image: ReplayedImage;
  const app = () => path.join(image.rootDir, 'app');

  before(() => {
    image = replayDockerfile('Dockerfile', { SERVICE: service }, scratch);
  });

  test('when built, then the image holds the compiled service and only its internal packages', () => {
    const workspaces = readWorkspaces();
    const workspace = [...workspaces.values()].find((candidate) => candidate.dir === service)!;
    const needed = internalDependenciesInBuildOrder(workspaces, workspace.name).map(({ name }) =>
      name.replace('@shop/', ''),
    );
    const linked = readdirSync(path.join(app(), 'node_modules/@shop')).sort();
    assert.deepEqual(linked, [...needed, service].sort());
    for (const { dir } of workspaces.values()) {
      const shipped = existsSync(path.join(app(), dir, 'dist'));
      const wanted = dir === service || needed.some((name) => dir === `packages/${name}`);
      assert.equal(shipped, wanted, `${dir}/dist ${shipped ? 'is' : 'is not'} in the image`);
    }
    assert.ok(existsSync(path.join(image.workdir, 'dist/main.js')));
  });

  test('when shipped, then no source, test or development dependency is in the image', () => {
    // filesUnder leaves node_modules out: what is left is the image's own code.
    const files = filesUnder(path.relative(root, app()));
    assert.ok(files.length > 0, `nothing under ${app()}`);
    const sources = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
    assert.deepEqual(sources, [], 'TypeScript sources in the image');
    // @types/node is not on this list: @opentelemetry/instrumentation-pg, a production
    // dependency of the kit, depends on @types/pg, which depends on it.
    for (const devOnly of [
      'typescript',
      'tsx',
      'eslint',
      '@shop/testkit',
      '@shop/mongo-embedded',
    ]) {
      assert.equal(existsSync(path.join(app(), 'node_modules', devOnly)), false, devOnly);
    }
  });

  test('when the image runs, then node dist/main.js serves /health and the HEALTHCHECK passes', async () => {
    assert.deepEqual(image.cmd, ['node', ...SERVICE_NODE_FLAGS, 'dist/main.js']);
    assert.equal(image.env.NODE_ENV, 'production');
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      ...image.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      REGISTRY_TOKEN: randomBytes(32).toString('hex'),
    };
    const [command, ...args] = image.cmd;
    const child = spawn(command!, args, { cwd: image.workdir, env, stdio: 'ignore' });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, {
        timeoutMs: 30_000,
        what: `${service} /health`,
      });
      const [checker, ...checkArgs] = image.healthcheck;
      const check = spawnSync(checker!, checkArgs, { cwd: image.workdir, env, timeout: 10_000 });
      assert.equal(check.status, 0, 'HEALTHCHECK exits 0 against the running service');
    } finally {
      child.kill('SIGTERM');
    }
    const stopped = spawnSync(image.healthcheck[0]!, image.healthcheck.slice(1), {
      cwd: image.workdir,
      env: { ...env, PORT: String(await freePort()) },
      timeout: 10_000,
    });
    assert.equal(stopped.status, 1, 'HEALTHCHECK fails where nothing listens');
  });

  test('when PORT is unset, then the HEALTHCHECK probes the port the service defaults to', () => {
    const fallback = readFileSync(path.join(image.workdir, '.default-port'), 'utf8').trim();
    assert.equal(fallback, '8500');
  });
});
