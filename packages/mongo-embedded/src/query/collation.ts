import { CommandError } from '../errors';
import { isDocument } from '../documents';
import type { Document } from '../documents';

/*
 * Collations, as far as ICU's options map onto Intl.Collator (Node ships full ICU, the
 * library mongod uses): locale, strength 1 to 3, caseLevel at strength 1, caseFirst,
 * numericOrdering and alternate "shifted". Anything else (strength 4 and 5, backwards,
 * normalization, caseLevel above strength 1, maxVariable "space", locale variants after
 * '@') is refused with 238 NotImplemented rather than compared differently.
 */

export interface Collation {
  /** The collation as mongod reports it in listIndexes and listCollections. */
  spec: Document;
  compare: (a: string, b: string) => number;
  /** The same collation for mingo's $sort stage, which wants a BCP 47 locale tag. */
  mingoSpec: Document;
}

const FIELDS = new Set([
  'locale',
  'strength',
  'caseLevel',
  'caseFirst',
  'numericOrdering',
  'alternate',
  'maxVariable',
  'normalization',
  'backwards',
  'version',
]);

/** The ICU version mongod 7 reports for its collations. */
const ICU_VERSION = '57.1';

function notImplemented(what: string): CommandError {
  return new CommandError('NotImplemented', `collation ${what} is not supported by mongo-embedded`);
}

function field<T>(
  spec: Document,
  name: string,
  type: 'boolean' | 'string' | 'number',
  fallback: T,
): T {
  const value: unknown = spec[name];
  if (value === undefined) return fallback;
  if (typeof value !== type) {
    throw new CommandError('TypeMismatch', `BSON field 'collation.${name}' is the wrong type`);
  }
  return value as T;
}

function intlLocale(locale: string): string {
  if (locale.includes('@')) throw notImplemented(`locale variant '${locale}'`);
  const tag = locale === 'root' ? 'und' : locale.replace(/_/g, '-');
  let supported: string[];
  try {
    supported = Intl.Collator.supportedLocalesOf([tag]);
  } catch {
    supported = [];
  }
  if (supported.length === 0) {
    throw new CommandError('BadValue', `Field 'locale' is invalid in: { locale: "${locale}" }`);
  }
  return tag;
}

/** A command's or index's collation; undefined for none or { locale: "simple" } (binary). */
export function parseCollation(value: unknown): Collation | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isDocument(value)) {
    throw new CommandError('TypeMismatch', "BSON field 'collation' is the wrong type");
  }
  for (const name of Object.keys(value)) {
    if (!FIELDS.has(name)) {
      throw new CommandError(
        'Location40415',
        `BSON field 'collation.${name}' is an unknown field.`,
      );
    }
  }
  const locale: unknown = value['locale'];
  if (typeof locale !== 'string') {
    throw new CommandError(
      'Location40414',
      "BSON field 'collation.locale' is missing but a required field",
    );
  }
  if (locale === 'simple') return undefined;
  const tag = intlLocale(locale);
  const strength = field<number>(value, 'strength', 'number', 3);
  const caseLevel = field<boolean>(value, 'caseLevel', 'boolean', false);
  const caseFirst = field<string>(value, 'caseFirst', 'string', 'off');
  const numericOrdering = field<boolean>(value, 'numericOrdering', 'boolean', false);
  const alternate = field<string>(value, 'alternate', 'string', 'non-ignorable');
  const maxVariable = field<string>(value, 'maxVariable', 'string', 'punct');
  const normalization = field<boolean>(value, 'normalization', 'boolean', false);
  const backwards = field<boolean>(value, 'backwards', 'boolean', false);
  if (![1, 2, 3, 4, 5].includes(strength)) {
    throw new CommandError(
      'BadValue',
      `Field 'strength' must be an integer 1 through 5. Got: ${strength}`,
    );
  }
  if (strength > 3) throw notImplemented(`strength ${strength}`);
  if (caseLevel && strength !== 1) throw notImplemented('caseLevel above strength 1');
  if (!['off', 'upper', 'lower'].includes(caseFirst)) {
    throw new CommandError(
      'BadValue',
      `Field 'caseFirst' must be 'upper', 'lower' or 'off'. Got: ${caseFirst}`,
    );
  }
  if (!['non-ignorable', 'shifted'].includes(alternate)) {
    throw new CommandError(
      'BadValue',
      `Field 'alternate' must be 'non-ignorable' or 'shifted'. Got: ${alternate}`,
    );
  }
  if (maxVariable !== 'punct') throw notImplemented(`maxVariable '${maxVariable}'`);
  if (normalization) throw notImplemented('normalization');
  if (backwards) throw notImplemented('backwards');

  const sensitivity =
    strength === 1 ? (caseLevel ? 'case' : 'base') : strength === 2 ? 'accent' : 'variant';
  const collator = new Intl.Collator(tag, {
    usage: 'sort',
    sensitivity,
    numeric: numericOrdering,
    caseFirst: caseFirst === 'off' ? 'false' : (caseFirst as 'upper' | 'lower'),
    // V8 maps ignorePunctuation to ICU's alternate "shifted".
    ignorePunctuation: alternate === 'shifted',
  });
  const spec: Document = {
    locale,
    caseLevel,
    caseFirst,
    strength,
    numericOrdering,
    alternate,
    maxVariable,
    normalization,
    backwards,
    version: ICU_VERSION,
  };
  return {
    spec,
    compare: (a, b) => collator.compare(a, b),
    mingoSpec: { ...spec, locale: tag },
  };
}
