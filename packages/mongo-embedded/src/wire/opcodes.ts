/** Wire protocol opcodes this server reads or writes. */
export const OpCode = {
  reply: 1,
  query: 2004,
  compressed: 2012,
  msg: 2013,
} as const;

export const HEADER_SIZE = 16;

/** OP_MSG flag bits (the spec reserves bits 0-15 as "must understand"). */
export const OpMsgFlag = {
  checksumPresent: 1 << 0,
  moreToCome: 1 << 1,
  exhaustAllowed: 1 << 16,
} as const;

/** The largest message mongod accepts; the same figure is advertised in hello. */
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_WRITE_BATCH_SIZE = 100_000;
