import { isDocument } from '../documents';
import { parseCollation } from '../query/collation';
import type { Collation } from '../query/collation';
import { withStringOrder } from '../query/compare';
import type { CommandContext } from './context';

/*
 * Which collation a command's comparisons use: its own `collation` field, else the default
 * collation of the collection it names (as in mongod), else the simple one.
 */

/** Commands whose first field names the collection whose default collation applies. */
const COLLECTION_COMMANDS = new Set([
  'find',
  'count',
  'distinct',
  'aggregate',
  'findAndModify',
  'findandmodify',
  'update',
  'delete',
]);

export function collationOf(context: CommandContext): Collation | undefined {
  const { command } = context;
  if (command['collation'] !== undefined) return parseCollation(command['collation']);
  const [name] = Object.keys(command);
  const target: unknown = name === undefined ? undefined : command[name];
  if (name === undefined || !COLLECTION_COMMANDS.has(name) || typeof target !== 'string') {
    return undefined;
  }
  const options = context.store.find(context.databaseName, target)?.options;
  return parseCollation(isDocument(options) ? options['collation'] : undefined);
}

/** Runs a write statement under its own collation when it names one. */
export function inStatementCollation<T>(statement: Record<string, unknown>, run: () => T): T {
  if (statement['collation'] === undefined) return run();
  return withStringOrder(parseCollation(statement['collation'])?.compare, run);
}
