/**
 * The MongoDB calls recordings make per event, with few and with many clips stored, in ONE run:
 * every event of a recorded camera inserts its clip (PENDING) and replaces it by `_id` once cut
 * (READY), and `Event.clip` reads it by `_id`; each recorder replaces its status by `_id`. Fills
 * `media_clips` to `--small`, measures, fills on to `--large`, measures again (bench/media/README.md,
 * "Recordings").
 *
 *   node dist/bench/media/clip-store-scale.js [--small 10000] [--large 1000000] [--samples 300]
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config/config';
import { connectMongo } from '../../lib/engines/mongo';
import { MongoRecordingStore } from '../../subgraphs/media/src/adapters/mongo-recording-store';
import type { ClipRecord } from '../../subgraphs/media/src/recording/ports';
import { hardwareLine, percentile } from '../hardware';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '10000' },
    large: { type: 'string', default: '1000000' },
    samples: { type: 'string', default: '300' },
  },
});
const SAMPLES = Number(values.samples);
const FILL_BATCH = 1000;

const clip = (eventId: string, status: ClipRecord['status']): ClipRecord => {
  const at = Date.now();
  return { eventId, cameraId: 'bench-camera', status, from: new Date(at - 10000), to: new Date(at + 10000), owner: 'bench', reason: null, readyAt: null };
};
const idOf = (n: number) => `01a23900-0000-7000-8000-${String(n).padStart(12, '0')}`;

async function main(): Promise<void> {
  console.log(hardwareLine());
  const config = loadConfig({ ...process.env });
  const mongo = await connectMongo({ url: config.mongodb.url, database: `benchclips${process.pid}` });
  const store = new MongoRecordingStore(mongo.db);
  const raw = mongo.db.collection<{ _id: string }>('media_clips');
  let stored = 0;
  const fill = async (to: number) => {
    const started = Date.now();
    const from = stored;
    while (stored < to) {
      const count = Math.min(FILL_BATCH, to - stored);
      const docs = Array.from({ length: count }, (_, i) => {
        const { eventId, ...rest } = clip(idOf(stored + i), 'READY');
        return { _id: eventId, ...rest };
      });
      await raw.insertMany(docs, { ordered: false });
      stored += count;
    }
    console.log(`filled ${from} -> ${stored} clips in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };
  const time = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  const measure = async () => {
    const insert: number[] = [];
    const replace: number[] = [];
    const lookup: number[] = [];
    const status: number[] = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      const id = idOf(10_000_000 + stored + i);
      insert.push(await time(() => store.insertClip(clip(id, 'PENDING'))));
      replace.push(await time(() => store.saveClip({ ...clip(id, 'READY'), readyAt: new Date() })));
      lookup.push(await time(() => store.clip(idOf(Math.floor(Math.random() * stored)))));
      status.push(
        await time(() =>
          store.saveStatus({
            cameraId: `cam-${i % 16}`,
            state: 'RECORDING',
            since: new Date(),
            oldest: null,
            bytes: i,
            lastError: null,
            owner: 'bench',
            offline: false,
          }),
        ),
      );
    }
    const line = (name: string, sample: number[]) => {
      const sorted = [...sample].sort((a, b) => a - b);
      return `${name} p50 ${percentile(sorted, 50).toFixed(2)} / p99 ${percentile(sorted, 99).toFixed(2)} ms`;
    };
    console.log(
      `| ${stored.toLocaleString('en')} | ${line('insert PENDING', insert)} | ${line('replace READY by _id', replace)} | ${line('lookup by _id', lookup)} | ${line('recorder status by _id', status)} |`,
    );
    stored += SAMPLES;
  };
  try {
    await fill(Number(values.small));
    await measure();
    await fill(Number(values.large));
    await measure();
  } finally {
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
