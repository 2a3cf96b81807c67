import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import amqplib from 'amqplib';
import { sleep } from '../../lib/async/sleep';
import { loadConfig } from '../../lib/config/config';
import { amqpNames } from '../../lib/events/topology';
import { startStack } from '../../test/support/stack';
import { percentile } from '../hardware';
import { ms } from './setup';

/** p50 / p99 / max of a sample, as one string. */
const summary = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted[sorted.length - 1] ?? Number.NaN)}`;
};

/**
 * Freshness through the whole product: while a steady 1,000 events/s are recorded through the
 * gateway (recordEvents batches of 50 every 50 ms), a probe records one more event every 200 ms and
 * asks `eventStats(minPosition: <its position>)`: the time from the command's answer to the stats
 * answer that includes it (minPosition waits for the projection, refreshed) is the sample.
 *
 * Where the time goes, per probe: the bench's own queue on the events exchange timestamps when the
 * relay published the probe (ack -> exchange: the command side's relay); exchange -> stats answer
 * is the projector (batch, bulk, refresh) plus the query; the query alone is timed right after
 * with the same eventStats without minPosition.
 */
export async function freshness(seconds: number): Promise<Record<string, string | number>> {
  const stack = await startStack({ services: ['command', 'query', 'media', 'gateway'], label: 'fresh', env: { LOG_LEVEL: 'debug' } });
  try {
    const cameraIds: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const registered = await stack.graphql<{ registerCamera: { id: string } }>(
        `mutation { registerCamera(input: { name: "bench ${i}", rtspUrl: "rtsp://127.0.0.1/x" }) { id } }`,
      );
      if (!registered.data) throw new Error(JSON.stringify(registered.errors));
      cameraIds.push(registered.data.registerCamera.id);
    }
    // Arrival of each probe on the exchange (a queue of the bench's own, bound like the projector's).
    const published = new Map<string, number>();
    const connection = await amqplib.connect(loadConfig().amqp.url);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, amqpNames(stack.namespace).eventsExchange, 'event.EventRecorded');
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        const at = performance.now();
        const wire = JSON.parse(message.content.toString('utf8')) as { position?: string | number; data?: { type?: string } };
        if (wire.data?.type === 'probe') published.set(String(wire.position), at);
      },
      { noAck: true },
    );
    const relay: number[] = [];
    const projectorAndQuery: number[] = [];
    const queryOnly: number[] = [];
    const deadline = Date.now() + seconds * 1000;
    let loadSent = 0;
    let loadErrors = 0;
    const load = (async () => {
      let next = Date.now();
      while (Date.now() < deadline) {
        const inputs = Array.from({ length: 50 }, (_, i) => ({
          cameraId: cameraIds[i % 10],
          type: 'motion',
          severity: 'LOW',
          occurredAt: new Date().toISOString(),
        }));
        void stack
          .graphql<{ recordEvents: { accepted: number } }>(
            `mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted } }`,
            { inputs },
            'operator',
          )
          .then((r) => {
            if (r.errors || !r.data) loadErrors += 1;
            else loadSent += r.data.recordEvents.accepted;
          })
          .catch(() => {
            loadErrors += 1;
          });
        next += 50;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();
    const samples: number[] = [];
    let stale = 0;
    while (Date.now() < deadline) {
      const recorded = await stack.graphql<{ recordEvent: { position: string } }>(
        `mutation($c: ID!, $at: DateTime!) { recordEvent(input: { cameraId: $c, type: "probe", severity: HIGH, occurredAt: $at }) { position } }`,
        { c: cameraIds[0], at: new Date().toISOString() },
        'operator',
      );
      const acknowledged = performance.now();
      const position = recorded.data?.recordEvent.position;
      if (!position) throw new Error(`probe failed: ${JSON.stringify(recorded.errors)}`);
      {
        const stats = await stack.graphql(
          `query($min: String) { eventStats(interval: HOUR, minPosition: $min, filter: { types: ["probe"] }) { total position } }`,
          { min: position },
          'viewer',
        );
        const answered = performance.now();
        if (stats.errors) stale += 1;
        else {
          samples.push(answered - acknowledged);
          const seen = published.get(position);
          if (seen !== undefined) {
            relay.push(seen - acknowledged);
            projectorAndQuery.push(answered - seen);
          }
          const queryStart = performance.now();
          await stack.graphql(`query { eventStats(interval: HOUR, filter: { types: ["probe"] }) { total position } }`, {}, 'viewer');
          queryOnly.push(performance.now() - queryStart);
        }
      }
      await sleep(200);
    }
    await load;
    await connection.close().catch(() => undefined);
    const sorted = samples.sort((a, b) => a - b);
    return {
      'load (events/s)': Math.round(loadSent / seconds),
      'load errors': loadErrors,
      samples: sorted.length,
      'stale reads': stale,
      p50: ms(percentile(sorted, 50)),
      p99: ms(percentile(sorted, 99)),
      max: ms(sorted[sorted.length - 1] ?? Number.NaN),
      'ack -> on the exchange (relay; negative: published before the answer arrived)': summary(relay),
      'on the exchange -> stats answer (projector + refresh + query)': summary(projectorAndQuery),
      'the same eventStats alone (no minPosition)': summary(queryOnly),
      ...projectorStages(stack.namespace),
    };
  } finally {
    await stack.stop();
  }
}

/**
 * The query service's own timings during the run (its debug log): applying a batch, advancing the
 * checkpoint (reads the event store at commit boundaries) and the refresh before a position is
 * published.
 */
export function projectorStages(namespace: string): Record<string, string> {
  const file = path.join('test-artifacts', 'logs', `${namespace}-query.log`);
  if (!existsSync(file)) return {};
  const apply: number[] = [];
  const advance: number[] = [];
  const refresh: number[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; applyMs?: number; advanceMs?: number; refreshMs?: number };
      if (entry.msg === 'batch applied' && entry.applyMs !== undefined) apply.push(entry.applyMs);
      if (entry.msg === 'position published' && entry.advanceMs !== undefined && entry.refreshMs !== undefined) {
        advance.push(entry.advanceMs);
        refresh.push(entry.refreshMs);
      }
    } catch {
      // not a log entry
    }
  }
  return {
    [`projector: batch applied (${apply.length} batches)`]: summary(apply),
    [`projector: checkpoint advance before a publish (${advance.length})`]: summary(advance),
    'projector: refresh before a publish': summary(refresh),
  };
}
