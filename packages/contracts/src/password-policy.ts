export const PASSWORD_MIN_LENGTH = 8;
// scrypt's cost does not grow with the input, but a bound keeps bodies and logs sane.
export const PASSWORD_MAX_LENGTH = 128;

const CHARACTER_CLASSES: RegExp[] = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u];

/**
 * What is wrong with a new password, in words a person can act on; empty when it is acceptable.
 * Length is what matters most (NIST SP 800-63B); the "two kinds of character" rule only stops the
 * weakest choices ("aaaaaaaa", "12345678") without forcing the usual symbol-and-digit ritual.
 */
export function passwordProblems(password: string): string[] {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return [`must be at least ${PASSWORD_MIN_LENGTH} characters long`];
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return [`must be at most ${PASSWORD_MAX_LENGTH} characters long`];
  }
  const problems: string[] = [];
  const classes = CHARACTER_CLASSES.filter((pattern) => pattern.test(password)).length;
  if (classes < 2) {
    problems.push(
      'must mix at least two kinds of character (lower case, upper case, digits, symbols)',
    );
  }
  if (new Set(password).size < 4) {
    problems.push('must use at least four different characters');
  }
  return problems;
}

/** The first thing anyone guesses. */
export function passwordIsEmail(password: string, email: string): boolean {
  return password.trim().toLowerCase() === email.trim().toLowerCase();
}
