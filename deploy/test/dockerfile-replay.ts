import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { dockerignore, filesUnder, parseDockerfile, readText, root } from './support';

/**
 * Replays a Dockerfile's build without a Docker engine: each stage is a folder standing for its
 * filesystem root, COPY reads the context through .dockerignore (or another stage's folder), and
 * RUN runs in the stage's WORKDIR with this machine's Node and npm. The final stage's RUN lines
 * install OS packages (apk) and are the only ones not run. What it proves: the COPY sources
 * exist and reach the context, the install and compile commands work in that order, and the
 * final tree starts.
 */
export interface ReplayedImage {
  /** The final stage's folder (its filesystem root). */
  rootDir: string;
  /** WORKDIR of the final stage, inside rootDir. */
  workdir: string;
  env: Record<string, string>;
  cmd: string[];
  healthcheck: string[];
}

const unquote = (value: string) => value.replace(/^"(.*)"$/, '$1');

function expand(text: string, args: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    return name in args ? args[name]! : match;
  });
}

function run(command: string, cwd: string, env: Record<string, string>): void {
  const result = spawnSync('sh', ['-c', command], {
    cwd,
    // The npm cache stands in for Docker's layer cache; the commands themselves are unchanged.
    env: { ...process.env, npm_config_prefer_offline: 'true', ...env },
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `RUN ${command}\nexited ${String(result.status)}: ${result.stderr.slice(-4000)}${result.stdout.slice(-2000)}`,
    );
  }
}

export function replayDockerfile(
  dockerfile: string,
  buildArgs: Record<string, string>,
  scratch: string,
): ReplayedImage {
  const instructions = parseDockerfile(readText(dockerfile));
  const ignored = dockerignore(readText('.dockerignore'));
  const stages = new Map<string, { dir: string; workdir: string; env: Record<string, string> }>();
  const args: Record<string, string> = {};
  const declareArg = (spec: string) => {
    const [name = '', fallback] = spec.split('=');
    args[name] = buildArgs[name] ?? (fallback === undefined ? '' : unquote(fallback));
  };
  let stageDir = '';
  let workdir = '/';
  let env: Record<string, string> = {};
  let cmd: string[] = [];
  let healthcheck: string[] = [];
  const stageNames = [...new Set(instructions.map((instruction) => instruction.stage))];
  const finalStage = stageNames.at(-1)!;
  const inStage = (absolute: string) => path.join(stageDir, absolute);
  const resolve = (target: string) =>
    target.startsWith('/') ? target : path.join(workdir, target);

  for (const { keyword, args: raw, stage } of instructions) {
    const line = expand(raw, args);
    switch (keyword) {
      case 'ARG':
        declareArg(raw);
        break;
      case 'FROM': {
        const [image = ''] = line.split(/\s+/);
        stageDir = path.join(scratch, stage.replace(/\W/g, '_'));
        const parent = stages.get(image);
        // A stage built on an earlier one inherits its files, WORKDIR and ENV.
        if (parent) cpSync(parent.dir, stageDir, { recursive: true, verbatimSymlinks: true });
        else mkdirSync(stageDir, { recursive: true });
        workdir = parent?.workdir ?? '/';
        env = { ...parent?.env };
        stages.set(stage, { dir: stageDir, workdir, env });
        break;
      }
      case 'WORKDIR':
        workdir = resolve(line);
        stages.get(stage)!.workdir = workdir;
        mkdirSync(inStage(workdir), { recursive: true });
        break;
      case 'ENV':
        for (const [, name, value] of line.matchAll(/(\w+)=(\S+)/g)) env[name!] = unquote(value!);
        break;
      case 'COPY': {
        const words = line.split(/\s+/);
        const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((word) => !word.startsWith('--'));
        const dest = paths.at(-1)!;
        for (const source of paths.slice(0, -1)) {
          const origin =
            from === undefined ? path.join(root, source) : path.join(stages.get(from)!.dir, source);
          if (!existsSync(origin)) throw new Error(`COPY ${source}: not there`);
          // As in Docker: a folder's contents go to dest, a file goes into dest when it ends in /.
          const isFile = statSync(origin).isFile();
          const into = isFile && dest.endsWith('/') ? path.join(dest, path.basename(source)) : dest;
          const target = inStage(resolve(into));
          if (from !== undefined) {
            cpSync(origin, target, { recursive: true, verbatimSymlinks: true });
            continue;
          }
          const files = isFile ? [source] : filesUnder(source);
          const sent = files.filter((file) => !ignored(file));
          if (sent.length === 0) throw new Error(`COPY ${source}: nothing reaches the context`);
          for (const file of sent) {
            const relative = path.relative(source, file);
            cpSync(path.join(root, file), relative === '' ? target : path.join(target, relative));
          }
        }
        break;
      }
      case 'RUN':
        if (stage !== finalStage) run(line, inStage(workdir), { ...args, ...env });
        break;
      case 'CMD':
        cmd = JSON.parse(line) as string[];
        break;
      case 'HEALTHCHECK':
        healthcheck = JSON.parse(line.slice(line.indexOf('CMD') + 'CMD'.length)) as string[];
        break;
      default:
        break;
    }
  }
  return { rootDir: stageDir, workdir: inStage(workdir), env, cmd, healthcheck };
}
