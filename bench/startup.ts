import { SERVICES } from '../scripts/system/services';
import { printTable, residentMemoryMiB, startBenchSystem, type Benchmark } from './support';

// The target for the whole system on the 2-core development machine.
const TARGET_SECONDS = 60;

export const startup: Benchmark = {
  name: 'startup',
  measures: 'seconds from spawn to every service ready, and each process RSS once ready',
  async run() {
    console.log('  starting the whole system (embedded MongoDB unless MONGODB_URL is set)');
    const { system, ready, totalSeconds } = await startBenchSystem();
    const mib = (value: number | undefined) =>
      value === undefined ? '-' : `${value.toFixed(0)} MiB`;
    const rows = SERVICES.map(({ name }) => {
      const figures = ready.get(name);
      return [
        name,
        figures ? `${figures.ownSeconds.toFixed(2)} s` : '-',
        figures ? `${figures.sinceStartSeconds.toFixed(2)} s` : '-',
        mib(residentMemoryMiB(system.pid(name))),
      ];
    });
    const mongoPid = system.pid('mongo-embedded');
    if (mongoPid !== undefined)
      rows.unshift(['mongo-embedded', '-', '-', mib(residentMemoryMiB(mongoPid))]);
    const rssTotal = [...SERVICES.map(({ name }) => system.pid(name)), mongoPid]
      .map(residentMemoryMiB)
      .reduce<number>((sum, value) => sum + (value ?? 0), 0);
    rows.push(['all ready', '', `${totalSeconds.toFixed(2)} s`, mib(rssTotal)]);
    printTable(
      `startup (target: all ready in under ${TARGET_SECONDS} s; ${
        totalSeconds < TARGET_SECONDS ? 'met' : 'MISSED'
      })`,
      ['process', 'own spawn→ready', 'ready at', 'RSS after ready'],
      rows,
    );
  },
};
