import { randomUUID } from 'node:crypto';
import type { GetMessage } from 'amqplib';
import { ReadSideHarness, camera, recorded } from './harness';

// An event whose document Elasticsearch will always refuse (a keyword over Lucene's 32 KB term
// limit: `document_parsing_exception`, 400) must not stall the projection: it is dead-lettered with
// Elasticsearch's reason, counted, shown in `projections`, and everything after it is projected.
describe('a document Elasticsearch refuses', () => {
  const h = new ReadSideHarness('refused');
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('is dead-lettered with its reason and the projection goes on', async () => {
    const cam = randomUUID();
    const good = [randomUUID(), randomUUID()];
    const bad = randomUUID();
    const envelopes = await h.write([camera(cam, 1), recorded(good[0]!, cam), recorded(bad, cam, { type: 'x'.repeat(40_000) }), recorded(good[1]!, cam)]);
    await h.caughtUp(envelopes[envelopes.length - 1]!.position, 20_000);

    const docs = await h.reader.getMany('events', [...good, bad]);
    expect(good.map((id) => docs.get(id)?.id)).toEqual(good);
    expect(docs.get(bad)).toBeUndefined();

    const status = (await h.projection.status.statuses()).find((s) => s.name === 'events')!;
    expect(status.deadLettered).toBe(1);
    expect(status.lastError).toMatch(/refused events document .*document_parsing_exception/);

    // The original message is in the projector's dead-letter queue, with the reason. On a loaded
    // machine the position may have passed it from the event store (checkpoint.ts, STRANDED_MS)
    // before its delivery came: the delivery then puts it there a moment later.
    const channel = await h.amqp.current()!.createChannel();
    let message: GetMessage | false = false;
    for (let attempt = 0; attempt < 100 && !message; attempt += 1) {
      message = await channel.get(h.amqpNames.projectorDlq, { noAck: true });
      if (!message) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await channel.close();
    expect(message && JSON.parse(message.content.toString()).data.eventId).toBe(bad);
    expect(message && String(message.properties.headers?.['x-rejection-reason'])).toMatch(/document_parsing_exception/);

    // Another projector process starting from scratch counts the dead-lettered event as done too.
    const second = await h.addProjector();
    await second.runtime.freshness.waitFor(envelopes[envelopes.length - 1]!.position, 20_000);
  }, 60_000);
});
