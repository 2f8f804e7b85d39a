import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
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

// No Docker engine runs the images in CI, so each Dockerfile is read against the workspace graph:
// an image that forgets an internal package, or runs as root, fails here rather than at deploy.
const workspaces = readWorkspaces();
const ignored = dockerignore(readText('.dockerignore'));
const baseImages = ['node:20-alpine', 'node:20-bookworm-slim'];

const copies = (instructions: Instruction[]) =>
  instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map((instruction) => {
      const words = instruction.args.split(/\s+/);
      const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((word) => !word.startsWith('--'));
      return { stage: instruction.stage, from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });

for (const service of serviceNames) {
  const workspace = [...workspaces.values()].find((candidate) => candidate.dir === service)!;
  const needed = [...internalDependenciesInBuildOrder(workspaces, workspace.name), workspace];
  const instructions = parseDockerfile(readText(`${service}/Dockerfile`));
  const stages = [...new Set(instructions.map((instruction) => instruction.stage))];
  const finalStage = stages.at(-1)!;
  const final = instructions.filter((instruction) => instruction.stage === finalStage);
  const contextCopies = copies(instructions).filter((copy) => copy.from === undefined);

  describe(`${service}/Dockerfile`, () => {
    test('when built, then every stage starts from Node 20 or from an earlier stage', () => {
      const froms = instructions.filter((instruction) => instruction.keyword === 'FROM');
      assert.ok(froms.length >= 2, 'a multi-stage build: compile in one stage, ship another');
      froms.forEach((from, index) => {
        const image = from.args.split(/\s+/)[0]!;
        const earlier = froms.slice(0, index).map((previous) => previous.stage);
        assert.ok(
          baseImages.includes(image) || earlier.includes(image),
          `FROM ${image}: expected one of ${baseImages.join(', ')} or an earlier stage`,
        );
      });
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

    test('when compiled, then exactly this service and its internal packages are copied in', () => {
      const sourceDirs = contextCopies
        .flatMap((copy) => copy.sources)
        .filter((source) => !source.endsWith('.json'));
      assert.deepEqual(
        [...sourceDirs].sort(),
        needed.map(({ dir }) => dir).sort(),
        'source folders copied into the build',
      );
      assert.ok(
        contextCopies.some((copy) => copy.sources.includes('tsconfig.base.json')),
        'tsconfig.base.json, which every tsconfig.build.json extends, is not copied',
      );
    });

    test('when compiled, then each internal package is built before the ones that use it', () => {
      const builds = instructions
        .filter((instruction) => instruction.keyword === 'RUN')
        .flatMap((instruction) =>
          [...instruction.args.matchAll(/npm run build (?:-w|--workspace) (\S+)/g)].map(
            (match) => match[1]!,
          ),
        );
      assert.deepEqual(builds, [...new Set(builds)], 'a workspace is built twice');
      assert.deepEqual(
        [...builds].sort(),
        needed.map(({ name }) => name).sort(),
        'workspaces built',
      );
      for (const { name } of needed) {
        for (const dep of workspaces.get(name)!.internalDependencies) {
          assert.ok(
            builds.indexOf(dep) < builds.indexOf(name),
            `${dep} must be built before ${name}, which compiles against its declarations`,
          );
        }
      }
    });

    test('when shipped, then the image holds production dependencies and every dist it imports', () => {
      const dependencyStages = instructions
        .filter(
          (instruction) =>
            instruction.keyword === 'RUN' &&
            /npm ci\b/.test(instruction.args) &&
            /--omit[= ]dev\b/.test(instruction.args) &&
            instruction.args.includes(`--workspace ${workspace.name}`),
        )
        .map((instruction) => instruction.stage);
      const finalCopies = copies(final);
      assert.ok(
        finalCopies.some((copy) => copy.from !== undefined && dependencyStages.includes(copy.from)),
        `the final stage must copy node_modules from a stage that runs npm ci --omit=dev --workspace ${workspace.name}`,
      );
      for (const { dir } of needed) {
        assert.ok(
          finalCopies.some(
            (copy) => copy.from !== undefined && copy.sources.includes(`/app/${dir}/dist`),
          ),
          `${dir}/dist is not copied into the final stage`,
        );
      }
      assert.deepEqual(
        finalCopies.filter((copy) => copy.from === undefined),
        [],
        'the final stage copies nothing from the build context: sources and dev files stay out',
      );
    });

    test('when run, then node runs as a non-root user under an init, with a health check', () => {
      const last = (keyword: string) =>
        final.filter((instruction) => instruction.keyword === keyword).at(-1)?.args;
      const user = last('USER');
      assert.ok(user && !['root', '0', '0:0'].includes(user), `USER is ${user ?? 'not set'}`);
      assert.match(last('HEALTHCHECK') ?? '', /\/health\b/, 'HEALTHCHECK on /health');
      assert.match(last('ENTRYPOINT') ?? '', /tini/, 'tini as PID 1 forwards SIGTERM');
      assert.deepEqual(JSON.parse(last('CMD') ?? 'null'), ['node', 'dist/main.js']);
      assert.equal(last('WORKDIR'), `/app/${service}`);
      assert.match(
        final
          .filter((instruction) => instruction.keyword === 'ENV')
          .map((instruction) => instruction.args)
          .join(' '),
        /\bNODE_ENV=production\b/,
      );
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
      for (const { dir } of needed) {
        for (const local of ['node_modules', 'dist', 'test']) {
          assert.equal(ignored(`${dir}/${local}/x`), true, `${dir}/${local} reaches the context`);
        }
      }
    });
  });
}
