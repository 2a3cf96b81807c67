import { parseArgs } from 'node:util';
import { hardwareLine } from '../hardware';
import { projectionRate } from './projection-rate';

// Read-side benchmarks (see bench/read/README.md). `--only projection,freshness,stats,rebuild,healing`.
const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'projection,freshness,stats,rebuild,healing' },
    /** steady (200 events/s), full (recordEvents back to back), or both. */
    'healing-modes': { type: 'string', default: 'steady,full' },
    'projection-events': { type: 'string', default: '50000' },
    'stats-events': { type: 'string', default: '1000000' },
    'rebuild-events': { type: 'string', default: '1000000' },
    'freshness-seconds': { type: 'string', default: '30' },
    /** Writes a CPU profile of the projection phase to this file and prints the top functions. */
    'cpu-profile': { type: 'string' },
  },
});
const only = new Set(values.only.split(','));

async function main(): Promise<void> {
  console.log(hardwareLine());
  if (only.has('projection')) {
    console.log('projection rate', await projectionRate(Number(values['projection-events']), { cpuProfile: values['cpu-profile'] }));
  }
  if (only.has('freshness')) {
    const { freshness } = await import('./freshness.js');
    console.log('freshness', await freshness(Number(values['freshness-seconds'])));
  }
  if (only.has('stats')) {
    const { statsLatency } = await import('./stats-latency.js');
    for (const n of values['stats-events'].split(',')) console.log('eventStats latency', await statsLatency(Number(n)));
  }
  if (only.has('rebuild')) {
    const { rebuildTime } = await import('./rebuild-time.js');
    console.log('rebuild', await rebuildTime(Number(values['rebuild-events'])));
  }
  if (only.has('healing')) {
    const { healing } = await import('./healing.js');
    for (const mode of values['healing-modes'].split(','))
      console.log('healing after an Elasticsearch crash', await healing(mode === 'full' ? 'full' : 'steady'));
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
