import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { API_OPERATIONS } from '../../api-gateway/src/openapi/operations';
import { serviceConfigs, serviceNames } from '../../deploy/test/support';

// docs/ is the contract readers see and code comments point at: these checks keep it and the
// code from drifting apart where a machine can tell.
const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const architecture = read('docs/architecture.md');

/** What git tracks or would track (ignored files, installs and builds left out). */
const repositoryFiles = execFileSync(
  'git',
  ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
  { cwd: root, encoding: 'utf8' },
)
  .split('\0')
  .filter((file) => file !== '' && existsSync(path.join(root, file)));
const textFiles = repositoryFiles.filter((file) =>
  /\.(ts|mjs|js|json|ya?ml|md|sql|sh)$|(^|\/)(Dockerfile|run)$/.test(file),
);

/** The headings of a Markdown file, as written and as GitHub's anchors spell them. */
function headingsOf(file: string): { text: string; anchor: string }[] {
  const text = read(file).replace(/^```[\s\S]*?^```/gm, '');
  return [...text.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => ({
    text: heading!,
    anchor: heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-'),
  }));
}

/** A section of a Markdown file: from its heading to the next one of the same level. */
function section(file: string, heading: string): string {
  const text = read(file);
  const start = text.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `${file} has no section "${heading}"`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

describe('the docs against the code', () => {
  test('when a file cites a document, then it is one in the repository, never the original brief', () => {
    const citing = textFiles.filter((file) => /\bDESIGN\.md\b/.test(read(file)));
    assert.deepEqual(
      citing,
      [],
      'these cite the original brief, a file the repository does not have',
    );
  });

  test('when a comment cites a section of docs/, then that section exists', () => {
    const citation = /docs\/([\w/-]+\.md)(?:,|\s\()\s*"([^"]+)"/g;
    const broken: string[] = [];
    let cited = 0;
    for (const file of textFiles.filter((name) => !name.startsWith('docs/'))) {
      for (const [, doc, heading] of read(file).matchAll(citation)) {
        cited++;
        const target = `docs/${doc}`;
        const found =
          existsSync(path.join(root, target)) &&
          headingsOf(target).some(({ text }) => text.startsWith(heading!));
        if (!found) broken.push(`${file}: ${target}, "${heading}"`);
      }
    }
    assert.ok(cited > 0, 'the pattern finds the citations');
    assert.deepEqual(broken, []);
  });

  test('when README or docs/ link to a file or a heading, then it is there', () => {
    const broken: string[] = [];
    const markdown = repositoryFiles.filter(
      (file) => file === 'README.md' || (file.startsWith('docs/') && file.endsWith('.md')),
    );
    for (const file of markdown) {
      const text = read(file).replace(/^```[\s\S]*?^```/gm, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?|mailto):/.test(target!)) continue;
        const [linked, anchor] = target!.split('#');
        const resolved = linked ? path.posix.join(path.posix.dirname(file), linked) : file;
        if (!existsSync(path.join(root, resolved))) {
          broken.push(`${file}: ${target} (no ${resolved})`);
        } else if (anchor && statSync(path.join(root, resolved)).isFile()) {
          if (!headingsOf(resolved).some((heading) => heading.anchor === anchor))
            broken.push(`${file}: ${target} (no heading #${anchor})`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  test('when the gateway documents an operation, then architecture.md lists it in its own row', () => {
    const rows = section(
      'docs/architecture.md',
      'Public API (through the gateway, `http://localhost:3000`)',
    )
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    const missing = API_OPERATIONS.map(({ method, path: template }) => {
      const alias = template.replace(/^\/api\/v1\//, '/api/').replace(/\{(\w+)\}/g, ':$1');
      return `${method.toUpperCase()} ${alias}`;
    }).filter(
      (operation) =>
        !rows.some(
          (row) => row.startsWith(`| \`${operation}\``) || row.startsWith(`| \`${operation}?`),
        ),
    );
    assert.deepEqual(missing, []);
    assert.equal(rows.length, API_OPERATIONS.length, 'a row for an operation the gateway lacks');
  });

  test('when a service reads a variable, then architecture.md or the service README names it', () => {
    const unnamed = serviceNames.flatMap((service) => {
      const readme = read(`${service}/README.md`);
      return Object.keys(serviceConfigs[service].shape)
        .filter((key) => !architecture.includes(`\`${key}\``) && !readme.includes(key))
        .map((key) => `${service} ${key}`);
    });
    assert.deepEqual(unnamed, []);
  });

  test('when the repository has a top-level folder or a package, then architecture.md places it', () => {
    const layout = section('docs/architecture.md', 'Layout');
    const folders = [...new Set(repositoryFiles.map((file) => file.split('/')[0]!))]
      .filter((name) => statSync(path.join(root, name)).isDirectory())
      .map((name) => `${name}/`);
    const packages = [
      ...new Set(
        repositoryFiles
          .filter((file) => file.startsWith('packages/'))
          .map((file) => file.split('/').slice(0, 2).join('/')),
      ),
    ];
    const unplaced = [...folders, ...packages].filter(
      (folder) =>
        folder !== 'packages/' &&
        !layout.includes(`\`${folder}\``) &&
        !layout.includes(`\`${folder.replace(/\/$/, '')}\``),
    );
    assert.deepEqual(unplaced, []);
  });

  test("when a new user reads README's Quick start, then each path is two commands", () => {
    const blocks = [
      ...section('README.md', 'Quick start').matchAll(/^```sh\n([\s\S]*?)^```/gm),
    ].map(([, body]) =>
      body!
        .split('\n')
        .map((line) => line.replace(/\s+#.*$/, '').trim())
        .filter(Boolean),
    );
    const docker = blocks.find((lines) => lines.some((line) => line.startsWith('docker compose')));
    const node = blocks.find((lines) => lines.includes('npm start'));
    assert.deepEqual(docker, [
      'git clone <this repository> shop && cd shop',
      'docker compose up --build',
    ]);
    assert.deepEqual(node, ['npm ci', 'npm start']);
  });
});
