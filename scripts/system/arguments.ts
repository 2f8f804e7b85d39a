import { parseArgs } from 'node:util';
import { planInstances } from './services';

export interface StartArguments {
  replicas: number;
  portOffset: number;
}

function wholeNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new RangeError(`${flag} must be a whole number, not "${value}"`);
  return Number(value);
}

/**
 * `npm start -- --replicas N --port-offset N`. Throws a RangeError whose message is the one line
 * to print for an unknown flag or a value out of range.
 */
export function parseStartArguments(argv: string[]): StartArguments {
  let values: { replicas?: string | undefined; 'port-offset'?: string | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { replicas: { type: 'string' }, 'port-offset': { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new RangeError(
      `${(error as Error).message}; the options are --replicas N and --port-offset N`,
    );
  }
  const parsed = {
    replicas: wholeNumber('--replicas', values.replicas, 1),
    portOffset: wholeNumber('--port-offset', values['port-offset'], 0),
  };
  // The port plan holds the limits, so they are written once.
  planInstances(parsed);
  return parsed;
}
