/**
 * One spelling per mailbox: surrounding spaces dropped, all lower case. The local part is
 * case-sensitive in theory, but no mail provider a shop's customers use treats it so, and two
 * accounts for "Ann@x.io" and "ann@x.io" would only confuse people.
 */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}
