import type { Document } from '../documents';
import type { CursorRegistry } from '../query/cursors';
import type { Store } from '../storage/store';

export interface CommandContext {
  /** The command document: its first field names the command. */
  command: Document;
  /** The database from $db (OP_MSG) or the namespace (OP_QUERY). */
  databaseName: string;
  store: Store;
  cursors: CursorRegistry;
  connectionId: number;
}

/** Runs a command synchronously: no other command can interleave with it. */
export type CommandHandler = (context: CommandContext) => Document;

export function namespaceOf(context: CommandContext, collectionName: string): string {
  return `${context.databaseName}.${collectionName}`;
}
