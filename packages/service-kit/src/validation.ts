import type { z } from 'zod';
import { ValidationError, type FieldError } from './errors';

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

/** Parses untrusted input with a schema; a mismatch is a 400 with one entry per bad field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw ValidationError(`The ${what} is invalid`, fieldErrors(result.error));
  }
  return result.data;
}
