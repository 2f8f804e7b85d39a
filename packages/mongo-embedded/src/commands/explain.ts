import { CommandError } from '../errors';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import type { CommandContext, CommandHandler } from './context';
import { namespaceOf } from './context';
import { SERVER_VERSION } from './handshake';

/*
 * explain, honestly: there are no query plans here, every query is a collection scan, so the
 * winning plan says COLLSCAN. With executionStats a read is run (writes never are) to count
 * what it returns.
 */

const EXPLAINABLE = new Set([
  'find',
  'aggregate',
  'count',
  'distinct',
  'update',
  'delete',
  'findAndModify',
]);
const VERBOSITIES = new Set(['queryPlanner', 'executionStats', 'allPlansExecution']);

export type RunCommand = (context: CommandContext) => Document;

function filterOf(explained: Document): Document {
  for (const field of ['filter', 'query', 'q']) {
    if (isDocument(explained[field])) return explained[field];
  }
  const statements = explained['updates'] ?? explained['deletes'];
  if (Array.isArray(statements) && isDocument(statements[0]) && isDocument(statements[0]['q'])) {
    return statements[0]['q'];
  }
  return {};
}

export function explainCommand(run: RunCommand): CommandHandler {
  return (context) => {
    const explained = context.command['explain'];
    if (!isDocument(explained)) {
      throw new CommandError('FailedToParse', "BSON field 'explain' must be an object");
    }
    const name = Object.keys(explained)[0] ?? '';
    if (!EXPLAINABLE.has(name)) {
      throw new CommandError('CommandNotSupported', `Explain for ${name} is not supported`);
    }
    const verbosity = context.command['verbosity'] ?? 'allPlansExecution';
    if (typeof verbosity !== 'string' || !VERBOSITIES.has(verbosity)) {
      throw new CommandError(
        'BadValue',
        `verbosity string must be one of {'queryPlanner', 'executionStats', 'allPlansExecution'}`,
      );
    }
    const target = explained[name];
    const collectionName = typeof target === 'string' ? target : '$cmd.aggregate';
    const filter = filterOf(explained);
    const reply: Document = {
      explainVersion: '1',
      queryPlanner: {
        namespace: namespaceOf(context, collectionName),
        parsedQuery: filter,
        winningPlan: { stage: 'COLLSCAN', filter, direction: 'forward' },
        rejectedPlans: [],
      },
      command: explained,
      serverInfo: { host: 'mongo-embedded', version: SERVER_VERSION },
    };
    if (
      verbosity !== 'queryPlanner' &&
      (name === 'find' || name === 'aggregate' || name === 'count')
    ) {
      const started = Date.now();
      const command = name === 'aggregate' ? { ...explained, cursor: {} } : explained;
      const result = run({ ...context, command });
      closeCursor(context, result);
      const total = context.store.find(context.databaseName, collectionName)?.documentCount ?? 0;
      reply['executionStats'] = {
        executionSuccess: result['ok'] === 1,
        nReturned: returnedCount(result),
        executionTimeMillis: Date.now() - started,
        totalKeysExamined: 0,
        totalDocsExamined: total,
      };
    }
    return { ...reply, ok: 1 };
  };
}

/** The explained read's cursor is nobody's to continue. */
function closeCursor(context: CommandContext, result: Document): void {
  const cursor = result['cursor'];
  if (!isDocument(cursor)) return;
  const id = Number(cursor['id'] ?? 0);
  if (id !== 0) context.cursors.kill([id]);
}

function returnedCount(result: Document): number {
  if (typeof result['n'] === 'number') return result['n'];
  const cursor = result['cursor'];
  if (isDocument(cursor) && Array.isArray(cursor['firstBatch'])) return cursor['firstBatch'].length;
  return 0;
}
