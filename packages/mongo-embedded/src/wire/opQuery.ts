import { fromBson, isDocument, toBson } from '../documents';
import type { Document } from '../documents';
import { FramingError } from './frameReader';
import { writeHeader } from './header';
import { HEADER_SIZE, OpCode } from './opcodes';

export interface OpQueryRequest {
  /** "db.collection"; commands go to "db.$cmd". */
  fullCollectionName: string;
  query: Document;
}

/**
 * Drivers still open every connection with a legacy OP_QUERY isMaster so that they can talk
 * to servers of any age; everything after that handshake uses OP_MSG.
 */
export function parseOpQuery(frame: Buffer): OpQueryRequest {
  const nameStart = HEADER_SIZE + 4;
  const nameEnd = frame.indexOf(0, nameStart);
  if (nameEnd < 0) throw new FramingError('OP_QUERY has no collection name');
  const fullCollectionName = frame.toString('utf8', nameStart, nameEnd);
  const queryStart = nameEnd + 1 + 8;
  const size = frame.readInt32LE(queryStart);
  const raw = fromBson(frame.subarray(queryStart, queryStart + size));
  // Old drivers wrapped a command with read preference as { $query: cmd, $readPreference }.
  const wrapped: unknown = raw['$query'];
  const query = isDocument(wrapped) ? wrapped : raw;
  return { fullCollectionName, query };
}

export function encodeOpReply(requestId: number, responseTo: number, reply: Document): Buffer {
  const payload = toBson(reply);
  const fixed = 4 + 8 + 4 + 4;
  const message = Buffer.alloc(HEADER_SIZE + fixed + payload.length);
  writeHeader(message, {
    messageLength: message.length,
    requestId,
    responseTo,
    opCode: OpCode.reply,
  });
  let offset = HEADER_SIZE;
  message.writeInt32LE(0, offset); // responseFlags
  offset += 4;
  message.writeBigInt64LE(0n, offset); // cursorID
  offset += 8;
  message.writeInt32LE(0, offset); // startingFrom
  offset += 4;
  message.writeInt32LE(1, offset); // numberReturned
  offset += 4;
  payload.copy(message, offset);
  return message;
}
