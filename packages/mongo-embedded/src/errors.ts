import type { Document } from './documents';

/** Codes and names from mongod's error_codes.yml, so drivers classify our errors like mongod's. */
export const ErrorCode = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  PathNotViable: 28,
  IllegalOperation: 20,
  ProtocolError: 17,
  AuthenticationFailed: 18,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  DollarPrefixedFieldName: 52,
  EmptyFieldName: 56,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  CommandNotSupported: 115,
  InvalidIndexSpecificationOption: 197,
  NoQueryExecutionPlans: 291,
  NotImplemented: 238,
  UnsupportedOpQueryCommand: 352,
  BSONObjectTooLarge: 10334,
  Location13026: 13026,
  Location13027: 13027,
  Location16755: 16755,
  Location16804: 16804,
  Location17419: 17419,
  DuplicateKey: 11000,
  UnrecognizedPipelineStage: 40324,
  Location40414: 40414,
  Location40415: 40415,
  Location51246: 51246,
  Location40571: 40571,
  Location40573: 40573,
  Location40603: 40603,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

/** A failure reported to the client as { ok: 0, errmsg, code, codeName } (or as a write error). */
export class CommandError extends Error {
  readonly code: number;

  constructor(
    readonly codeName: ErrorCodeName,
    message: string,
    /** Extra fields mongod puts beside errmsg, e.g. keyPattern and keyValue for E11000. */
    readonly details: Document = {},
  ) {
    super(message);
    this.code = ErrorCode[codeName];
  }

  toReply(): Document {
    return {
      ok: 0,
      errmsg: this.message,
      code: this.code,
      codeName: this.codeName,
      ...this.details,
    };
  }

  /** The shape of one entry of a write command's writeErrors array. */
  toWriteError(index: number): Document {
    return { index, code: this.code, errmsg: this.message, ...this.details };
  }
}
