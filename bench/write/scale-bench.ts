/**
 * Write-path latency with little and with much stored data, measured in ONE run (in-process: the
 * command service on the event store, no HTTP): fills a fresh database to `--small` events,
 * measures, fills it on to `--large`, measures again. See bench/write/README.md.
 *
 *   node dist/bench/write/scale-bench.js [--small 10000] [--large 1000000] [--samples 300]
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config/config';
import { connectMongo } from '../../lib/engines/mongo';
import { createMongoEventStore } from '../../lib/event-store/mongo-event-store';
import { CommandService } from '../../subgraphs/command/src/application/command-service';
import { recordEvents } from '../../subgraphs/command/src/application/event-recorder';
import { hardwareLine, loadLine, percentile } from '../hardware';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '10000' },
    large: { type: 'string', default: '1000000' },
    samples: { type: 'string', default: '300' },
    /** Uncached acknowledges scan on FerretDB: stop sampling them after this many seconds. */
    'cold-seconds': { type: 'string', default: '20' },
  },
});
const SAMPLES = Number(values.samples);
const COLD_SECONDS = Number(values['cold-seconds']);

const context = { actor: 'bench', correlationId: 'scale', causationId: null };
const cameraId = 'bench-scale-camera';
const input = () => ({ cameraId, type: 'motion', severity: 'HIGH', occurredAt: new Date().toISOString(), attributes: { zone: 3, score: 0.93 } });

const stats = (sorted: number[]) =>
  sorted.length === 0 ? 'no samples' : `p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms (n=${sorted.length})`;

async function timed(count: number, run: (i: number) => Promise<unknown>, deadline = Infinity): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count && performance.now() < deadline; i += 1) {
    const started = performance.now();
    await run(i);
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  console.log(hardwareLine());
  const mongo = await connectMongo({ url: loadConfig().mongodb.url, database: `benchscale${process.pid}` });
  const store = createMongoEventStore(mongo.db);
  const service = new CommandService(store);
  await service.registerCamera({ kind: 'RegisterCamera', cameraId, name: 'scale', site: null, rtspUrl: 'rtsp://127.0.0.1/scale', tags: [] }, context);

  let stored = 0;
  /** Ids of seeded events, a sample kept for the uncached acknowledges (spread over the whole fill). */
  const seededIds: string[] = [];
  const fill = async (target: number) => {
    const started = performance.now();
    while (stored < target) {
      const results = await recordEvents(
        service,
        Array.from({ length: Math.min(1000, target - stored) }, () => ({ input: input(), source: 'bench', context })),
      );
      for (const [i, r] of results.entries()) if (r.status === 'accepted' && i % 97 === 0) seededIds.push(r.result.id);
      stored += results.length;
    }
    return (performance.now() - started) / 1000;
  };

  const rows: string[] = [];
  const measure = async (label: string) => {
    const recorded: string[] = [];
    const record = await timed(SAMPLES, async () => {
      const [result] = await recordEvents(service, [{ input: input(), source: 'bench', context }]);
      if (result?.status === 'accepted') recorded.push(result.result.id);
    });
    stored += record.length;
    const batch = await timed(5, () =>
      recordEvents(
        service,
        Array.from({ length: 1000 }, () => ({ input: input(), source: 'bench', context })),
      ),
    );
    stored += 5000;
    // Acknowledge an event this process recorded (cached: the common case right after recording).
    const warm = await timed(Math.min(100, recorded.length), (i) =>
      service.changeIncident({ kind: 'AcknowledgeEvent', eventId: recorded[i] as string, by: 'bench', note: null }, undefined, context),
    );
    stored += warm.length;
    // Acknowledge a seeded event no cache holds (a fresh service, as after a restart): stream lookups.
    const cold = new CommandService(store);
    // Ones not acknowledged before, from anywhere in the fill (older rows scan further).
    const pick = seededIds.sort(() => Math.random() - 0.5).splice(0, 50);
    const uncached = await timed(
      Math.min(50, pick.length),
      (i) => cold.changeIncident({ kind: 'AcknowledgeEvent', eventId: pick[i] as string, by: 'bench', note: null }, undefined, context),
      performance.now() + COLD_SECONDS * 1000,
    );
    stored += uncached.length;
    rows.push(`| ${label} | ${stats(record)} | ${stats(batch)} | ${stats(warm)} | ${stats(uncached)} |`);
  };

  const smallFill = await fill(Number(values.small));
  await measure(`${stored.toLocaleString('en')} stored`);
  const largeFill = await fill(Number(values.large));
  await measure(`${stored.toLocaleString('en')} stored`);
  await store.flush();

  console.log(
    `fill: ${Number(values.small).toLocaleString('en')} events in ${smallFill.toFixed(0)} s, then on to ${Number(values.large).toLocaleString('en')} in ${largeFill.toFixed(0)} s (recordEvents of 1,000, in-process)`,
  );
  console.log(`load after: ${loadLine()}`);
  console.log('');
  console.log('| stored events | recordEvent (one new event) | recordEvents of 1,000 | acknowledge, cached | acknowledge, uncached |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  await mongo.db.dropDatabase();
  await mongo.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
