import { fromBson, toBson } from '../documents';
import type { Document } from '../documents';
import { crc32c } from './crc32c';
import { FramingError } from './frameReader';
import { writeHeader } from './header';
import { HEADER_SIZE, OpCode, OpMsgFlag } from './opcodes';

export interface OpMsgRequest {
  /** The body (section kind 0) with every document sequence (kind 1) folded in as an array. */
  command: Document;
  /** The client expects no reply (an unacknowledged write). */
  moreToCome: boolean;
}

/** Bits 0-15 are "required": a receiver must reject a message carrying one it does not know. */
const KNOWN_REQUIRED_FLAGS = OpMsgFlag.checksumPresent | OpMsgFlag.moreToCome;

export function parseOpMsg(frame: Buffer): OpMsgRequest {
  const flags = frame.readUInt32LE(HEADER_SIZE);
  const unknownRequired = flags & 0xffff & ~KNOWN_REQUIRED_FLAGS;
  if (unknownRequired !== 0) {
    throw new FramingError(`unsupported OP_MSG required flag bits ${unknownRequired}`);
  }
  let end = frame.length;
  if (flags & OpMsgFlag.checksumPresent) {
    end -= 4;
    const expected = frame.readUInt32LE(end);
    if (crc32c(frame.subarray(0, end)) !== expected) {
      throw new FramingError('OP_MSG checksum mismatch');
    }
  }

  let body: Document | undefined;
  const sequences: Array<[string, Document[]]> = [];
  let offset = HEADER_SIZE + 4;
  while (offset < end) {
    const kind = frame.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      if (body !== undefined) throw new FramingError('OP_MSG has more than one body section');
      const size = frame.readInt32LE(offset);
      body = fromBson(frame.subarray(offset, offset + size));
      offset += size;
    } else if (kind === 1) {
      const size = frame.readInt32LE(offset);
      const sectionEnd = offset + size;
      const nameEnd = frame.indexOf(0, offset + 4);
      if (nameEnd < 0 || nameEnd >= sectionEnd) {
        throw new FramingError('OP_MSG document sequence has no identifier');
      }
      const identifier = frame.toString('utf8', offset + 4, nameEnd);
      const documents: Document[] = [];
      let position = nameEnd + 1;
      while (position < sectionEnd) {
        const docSize = frame.readInt32LE(position);
        documents.push(fromBson(frame.subarray(position, position + docSize)));
        position += docSize;
      }
      sequences.push([identifier, documents]);
      offset = sectionEnd;
    } else {
      throw new FramingError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (body === undefined) throw new FramingError('OP_MSG has no body section');
  for (const [identifier, documents] of sequences) body[identifier] = documents;
  return { command: body, moreToCome: (flags & OpMsgFlag.moreToCome) !== 0 };
}

export function encodeOpMsg(requestId: number, responseTo: number, reply: Document): Buffer {
  const payload = toBson(reply);
  const message = Buffer.alloc(HEADER_SIZE + 4 + 1 + payload.length);
  writeHeader(message, {
    messageLength: message.length,
    requestId,
    responseTo,
    opCode: OpCode.msg,
  });
  message.writeUInt32LE(0, HEADER_SIZE);
  message.writeUInt8(0, HEADER_SIZE + 4);
  payload.copy(message, HEADER_SIZE + 5);
  return message;
}
