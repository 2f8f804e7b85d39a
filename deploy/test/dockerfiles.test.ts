import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SERVICE_ENV, SERVICE_NODE_FLAGS } from '../../scripts/system/services';
import {
  dockerignore,
  filesUnder,
  internalDependenciesInBuildOrder,
  type Instruction,
  parseDockerfile,
  readText,
  readWorkspaces,
  root,
  serviceNames,
} from './support';

// No Docker engine runs here, so the one Dockerfile is read against the workspace graph (and
// deploy/replay/image-build.test.ts replays its steps): an image that would forget an internal
// package, ship development files or run as root fails here rather than at deploy time.
const workspaces = readWorkspaces();
const ignored = dockerignore(readText('.dockerignore'));
const instructions = parseDockerfile(readText('Dockerfile'));
const stages = [...new Set(instructions.map((instruction) => instruction.stage))];
const finalStage = stages.at(-1)!;
const final = instructions.filter((instruction) => instruction.stage === finalStage);
const of = (keyword: string, list: Instruction[] = instructions) =>
  list.filter((instruction) => instruction.keyword === keyword);

const copies = (list: Instruction[]) =>
  of('COPY', list).map((instruction) => {
    const words = instruction.args.split(/\s+/);
    const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((word) => !word.startsWith('--'));
    return { stage: instruction.stage, from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
  });
const contextCopies = copies(instructions).filter((copy) => copy.from === undefined);

interface BuildConfig {
  compilerOptions?: { composite?: boolean };
  references?: { path: string }[];
}

const buildConfigOf = (dir: string) =>
  JSON.parse(readText(`${dir}/tsconfig.build.json`)) as BuildConfig;

describe('Dockerfile (one for every service, ARG SERVICE)', () => {
  test('when a service had its own Dockerfile, then it is gone: the root one builds them all', () => {
    for (const service of serviceNames) {
      assert.equal(existsSync(path.join(root, service, 'Dockerfile')), false, service);
    }
    const serviceArg = of('ARG').filter((instruction) => instruction.args === 'SERVICE');
    assert.ok(serviceArg.length > 0, 'ARG SERVICE is not declared');
    assert.ok(
      of('WORKDIR', final).some((instruction) => instruction.args === '/app/${SERVICE}'),
      'the final stage works in /app/${SERVICE}',
    );
  });

  test('when built, then every stage starts from Node 24 LTS on Alpine or from an earlier stage', () => {
    const nodeImage = of('ARG').find((instruction) => instruction.args.startsWith('NODE_IMAGE='));
    assert.equal(nodeImage?.args, 'NODE_IMAGE=node:24-alpine');
    const froms = of('FROM');
    assert.ok(froms.length >= 2, 'a multi-stage build: compile in one stage, ship another');
    froms.forEach((from, index) => {
      const image = from.args.split(/\s+/)[0]!;
      const earlier = froms.slice(0, index).map((previous) => previous.stage);
      assert.ok(
        image === '${NODE_IMAGE}' || earlier.includes(image),
        `FROM ${image}: expected \${NODE_IMAGE} or an earlier stage`,
      );
    });
    const engines = (JSON.parse(readText('package.json')) as { engines: { node: string } }).engines;
    assert.match(engines.node, /\^24\b/, 'the root engines name the images’ Node line');
    assert.match(readText('README.md'), /Node\.js 24/, 'README names the images’ Node line');
  });

  test('when npm ci runs, then the lock file and every workspace manifest are there', () => {
    const copied = contextCopies.flatMap((copy) => copy.sources);
    for (const file of ['package.json', 'package-lock.json']) {
      assert.ok(copied.includes(file), `${file} is not copied`);
    }
    for (const { dir } of workspaces.values()) {
      assert.ok(
        copied.includes(`${dir}/package.json`),
        `${dir}/package.json is not copied: npm ci refuses a lock file whose workspaces are missing`,
      );
    }
  });

  test('when compiled, then tsc -b builds the service through its project references', () => {
    const compile = of('RUN').filter((instruction) => /\btsc -b\b/.test(instruction.args));
    assert.equal(compile.length, 1, 'one tsc -b step');
    assert.match(compile[0]!.args, /tsc -b "?\$\{SERVICE\}\/tsconfig\.build\.json"?/);
    const sources = contextCopies.flatMap((copy) => copy.sources);
    for (const { dir } of workspaces.values()) {
      const copiedWhole = sources.includes(dir) || sources.includes(dir.split('/')[0]!);
      assert.ok(copiedWhole, `${dir} is not in the build stage`);
    }
    assert.ok(sources.includes('tsconfig.base.json'), 'tsconfig.base.json is not copied');
  });

  test('when a workspace imports another, then its tsconfig.build.json references it', () => {
    const rootReferences = (buildConfigOf('.').references ?? []).map((ref) => ref.path);
    for (const workspace of workspaces.values()) {
      const config = buildConfigOf(workspace.dir);
      assert.equal(config.compilerOptions?.composite, true, `${workspace.dir} is not composite`);
      const references = (config.references ?? []).map((ref) =>
        path.dirname(path.join(workspace.dir, ref.path)),
      );
      for (const dependency of workspace.internalDependencies) {
        const target = workspaces.get(dependency)!.dir;
        assert.ok(
          references.includes(target),
          `${workspace.dir} imports ${dependency} but does not reference ${target}`,
        );
      }
      assert.ok(
        rootReferences.includes(`${workspace.dir}/tsconfig.build.json`),
        `the root tsconfig.build.json (npm run build) leaves out ${workspace.dir}`,
      );
    }
  });

  test('when shipped, then the image holds production dependencies and compiled code only', () => {
    const production = of('RUN').find(
      (instruction) =>
        /npm ci\b/.test(instruction.args) &&
        /--omit[= ]dev\b/.test(instruction.args) &&
        instruction.args.includes('--workspace "@shop/${SERVICE}"'),
    );
    assert.ok(production, 'a stage runs npm ci --omit=dev --workspace "@shop/${SERVICE}"');
    const finalCopies = copies(final);
    assert.deepEqual(
      finalCopies.map((copy) => copy.from),
      [production.stage],
      'the final stage copies only the production stage: no sources, no build tools',
    );
    const assembly = of('RUN').filter((instruction) => instruction.stage === production.stage);
    const keep = assembly.find((instruction) => /node_modules\/@shop\/\*/.test(instruction.args));
    assert.ok(keep, 'only the internal packages the service needs get their dist');
    // npm links a workspace's devDependencies even with --omit=dev: the step must read the
    // "dependencies" of the service and remove every other link.
    assert.match(keep.args, /\)\.dependencies \|\| \{\}/);
    assert.match(keep.args, /rm "\$link"/);
  });

  test("when run, then node runs as a non-root user under an init, with a health check and the launcher's V8 flags and environment", () => {
    const last = (keyword: string) => of(keyword, final).at(-1)?.args;
    const user = last('USER');
    assert.ok(user && !['root', '0', '0:0'].includes(user), `USER is ${user ?? 'not set'}`);
    assert.match(last('HEALTHCHECK') ?? '', /\/health\b/, 'HEALTHCHECK on /health');
    assert.match(last('ENTRYPOINT') ?? '', /tini/, 'tini as PID 1 forwards SIGTERM');
    assert.deepEqual(JSON.parse(last('CMD') ?? 'null'), [
      'node',
      ...SERVICE_NODE_FLAGS,
      'dist/main.js',
    ]);
    const env = of('ENV', final)
      .map((instruction) => instruction.args)
      .join(' ');
    assert.match(env, /\bNODE_ENV=production\b/);
    for (const [name, value] of Object.entries(SERVICE_ENV)) {
      assert.match(env, new RegExp(`\\b${name}=${value}\\b`), `the launcher's ${name}`);
    }
  });

  test('when the context is sent, then .dockerignore lets in what is copied and nothing built', () => {
    for (const copy of contextCopies) {
      for (const source of copy.sources) {
        const files = statSync(path.join(root, source)).isFile() ? [source] : filesUnder(source);
        const sent = files.filter(
          (file) => !/\/(test|node_modules|dist)\//.test(`/${file}`) && !file.endsWith('.md'),
        );
        assert.ok(sent.length > 0, `${source} has no file to send`);
        for (const file of sent) {
          assert.equal(ignored(file), false, `.dockerignore leaves out ${file}`);
        }
      }
    }
    for (const { dir } of workspaces.values()) {
      for (const local of ['node_modules', 'dist', 'test', 'dist/.tsbuildinfo']) {
        assert.equal(ignored(`${dir}/${local}/x`), true, `${dir}/${local} reaches the context`);
      }
    }
    for (const outside of ['docs/architecture.md', 'deploy/k8s/base/kustomization.yaml', '.env']) {
      assert.equal(ignored(outside), true, `${outside} reaches the context`);
    }
  });

  test('when an internal package is a development dependency only, then no image ships it', () => {
    const devDependenciesOf = (dir: string) =>
      Object.keys(
        (JSON.parse(readText(`${dir}/package.json`)) as { devDependencies?: object })
          .devDependencies ?? {},
      ).filter((name) => workspaces.has(name));
    // The embedded MongoDB stand-in is product-service's, for tests and `npm start` only.
    assert.ok(devDependenciesOf('product-service').includes('@shop/mongo-embedded'));
    for (const service of serviceNames) {
      const workspace = [...workspaces.values()].find((candidate) => candidate.dir === service)!;
      const shipped = internalDependenciesInBuildOrder(workspaces, workspace.name).map(
        ({ name }) => name,
      );
      for (const devOnly of ['@shop/testkit', ...devDependenciesOf(service)]) {
        assert.equal(shipped.includes(devOnly), false, `${service} ships ${devOnly}`);
      }
    }
  });
});
