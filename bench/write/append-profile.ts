/**
 * Where the time of one append goes, in-process (no HTTP): each engine step timed separately.
 *   node dist/bench/write/append-profile.js
 */
import { randomUUID } from 'node:crypto';
import { connectMongo } from '../../lib/engines/mongo';
import { createMongoEventStore } from '../../lib/event-store/mongo-event-store';
import { CommandService } from '../../subgraphs/command/src/application/command-service';
import { recordEvents } from '../../subgraphs/command/src/application/event-recorder';
import { hardwareLine, percentile } from '../hardware';
import { loadConfig } from '../../lib/config/config';

async function main(): Promise<void> {
  console.log(hardwareLine());
  const mongo = await connectMongo({ url: loadConfig().mongodb.url, database: `benchprofile${process.pid}` });
  const store = createMongoEventStore(mongo.db);
  const service = new CommandService(store);
  const context = { actor: 'bench', correlationId: 'c', causationId: null };
  const cameraId = 'bench-cam';
  await service.registerCamera({ kind: 'RegisterCamera', cameraId, name: 'b', site: null, rtspUrl: 'rtsp://127.0.0.1/b', tags: [] }, context);
  const input = () => ({ cameraId, type: 'motion', severity: 'HIGH', occurredAt: new Date().toISOString(), attributes: { zone: 3 } });

  const single: number[] = [];
  for (let i = 0; i < 300; i += 1) {
    const started = performance.now();
    await recordEvents(service, [{ input: input(), source: 'graphql', context }]);
    single.push(performance.now() - started);
  }
  single.sort((a, b) => a - b);
  console.log(`recordEvent in-process, sequential: p50 ${percentile(single, 50).toFixed(2)} ms, p99 ${percentile(single, 99).toFixed(2)} ms`);

  let started = performance.now();
  for (let i = 0; i < 10; i += 1)
    await recordEvents(
      service,
      Array.from({ length: 1000 }, () => ({ input: input(), source: 'graphql', context })),
    );
  console.log(`recordEvents in-process, 10 x 1000: ${(10000 / ((performance.now() - started) / 1000)).toFixed(0)} events/s`);

  started = performance.now();
  await Promise.all(Array.from({ length: 2000 }, () => recordEvents(service, [{ input: input(), source: 'graphql', context }])));
  console.log(`recordEvent in-process, 2000 concurrent (group commit): ${(2000 / ((performance.now() - started) / 1000)).toFixed(0)} events/s`);

  const docs = Array.from({ length: 1000 }, () => ({ _id: randomUUID(), e: 'x'.repeat(700) }));
  started = performance.now();
  await mongo.db.collection<{ _id: string }>('raw').insertMany(docs);
  const many = performance.now() - started;
  started = performance.now();
  await mongo.db.collection<{ _id: string; events: string[] }>('rawbig').insertOne({ _id: 'x', events: docs.map((d) => d.e) });
  console.log(`raw insertMany 1000 docs: ${many.toFixed(1)} ms; one doc holding 1000 events: ${(performance.now() - started).toFixed(1)} ms`);
  await mongo.db.dropDatabase();
  await mongo.close();
}

void main();
