import type { ConsumeMessage } from 'amqplib';
import { takeBatch } from '../../../subgraphs/command/src/ingest/amqp-ingest-consumer';

const delivery = (bytes: number) => ({ content: Buffer.alloc(bytes) }) as ConsumeMessage;

describe('ingest batches', () => {
  it('take deliveries up to the count and the byte budget, and always at least one', () => {
    const buffer = [delivery(40), delivery(40), delivery(40), delivery(500), delivery(10)];
    expect(takeBatch(buffer, 10, 100).map((m) => m.content.length)).toEqual([40, 40]);
    expect(takeBatch(buffer, 10, 100).map((m) => m.content.length)).toEqual([40]);
    // A delivery larger than the budget alone still makes a batch of its own.
    expect(takeBatch(buffer, 10, 100).map((m) => m.content.length)).toEqual([500]);
    expect(takeBatch(buffer, 10, 100).map((m) => m.content.length)).toEqual([10]);
    expect(buffer).toEqual([]);
    expect(takeBatch([delivery(1), delivery(1), delivery(1)], 2, 100)).toHaveLength(2);
  });
});
