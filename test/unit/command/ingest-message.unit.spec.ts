import { parseIngestMessage } from '../../../subgraphs/command/src/ingest/ingest-message';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));
const item = { cameraId: 'c1', type: 'motion', severity: 'LOW', occurredAt: '2026-01-01T00:00:00Z' };

describe('ingest message parsing', () => {
  it('takes the source from the routing key and the id from message_id', () => {
    const parsed = parseIngestMessage({ body: body(item), routingKey: 'acme.motion', messageId: 'm-1' });
    expect(parsed).toMatchObject({ ok: true, items: [{ source: 'acme', fallbackId: 'm-1', context: { actor: 'system:acme', causationId: 'm-1' } }] });
  });

  it('numbers the items of an array under the message id', () => {
    const parsed = parseIngestMessage({ body: body([item, item]), routingKey: 'acme.motion', messageId: 'm-2' });
    expect(parsed.ok && parsed.items.map((i) => i.fallbackId)).toEqual(['m-2:0', 'm-2:1']);
  });

  it('derives the same id from the same content when there is no message id', () => {
    const a = parseIngestMessage({ body: body(item), routingKey: 'acme.motion', messageId: undefined });
    const b = parseIngestMessage({ body: body({ ...item }), routingKey: 'acme.other', messageId: undefined });
    expect(a.ok && b.ok && a.items[0]?.fallbackId === b.items[0]?.fallbackId).toBe(true);
  });

  it.each([
    ['non-JSON', Buffer.from('{nope'), 'acme.x', 'not valid JSON'],
    ['an empty array', body([]), 'acme.x', 'empty array'],
    ['a bad routing key', body(item), '.x', 'routing key'],
  ])('rejects %s with a reason', (_label, content, routingKey, reason) => {
    const parsed = parseIngestMessage({ body: content, routingKey, messageId: undefined });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });
});
