import type { AddressInfo } from 'node:net';
import { GraphQLError, buildSchema, type FormattedExecutionResult } from 'graphql';
import { MessageType, stringifyMessage, type Message } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { batchWrites, FrameOutbox, FrameWriter } from '../../../gateway/src/subscriptions/frame-writer';

// The frames the gateway writes itself must be exactly what graphql-ws would have sent: the text of
// graphql-ws's own `stringifyMessage`, framed as ws frames a server's text message.

/** ws's own framing of an unmasked text message (what `ws.send(text)` puts on the wire). */
const { Sender } = WebSocket as unknown as { Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] } };
const wsFrame = (text: string): Buffer => Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false }));

/** A socket as the outbox sees it: its TCP socket takes direct writes unless an extension was negotiated. */
const fakeSocket = (extensions = '') => {
  const writes: Buffer[] = [];
  const sent: string[] = [];
  const socket = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount: 0,
    extensions,
    send: (data: Buffer) => void sent.push(data.toString('utf8')),
    _socket: { destroyed: false, write: (data: Buffer) => void writes.push(data) },
  } as unknown as WebSocket;
  return { socket, writes, sent };
};

const event = (id: string, attributes: unknown = null) => ({ id, type: 'motion', severity: 'HIGH', attributes, camera: { name: 'Gate', site: 'north' } });
/** A payload whose whole `next` message (id "1") is `length` bytes, to reach each WebSocket length encoding. */
const sized = (length: number): FormattedExecutionResult => {
  const bare = stringifyMessage({ id: '1', type: MessageType.Next, payload: { data: { eventRecorded: { id: '' } } } }).length;
  return { data: { eventRecorded: { id: 'x'.repeat(length - bare) } } };
};

const representative: Array<[string, string, FormattedExecutionResult]> = [
  ['data', '1', { data: { eventRecorded: event('e1', { zone: 2, tags: ['a', 'b'] }) } }],
  [
    'data and errors',
    'op-2',
    {
      data: { eventRecorded: { ...event('e2'), camera: null } },
      errors: [{ message: 'camera not found', path: ['eventRecorded', 'camera'], extensions: { code: 'NOT_FOUND' } }],
    },
  ],
  [
    'errors only (a payload that could not be resolved)',
    '3',
    { data: null, errors: [{ message: 'could not resolve the payload: socket hang up', extensions: { code: 'UNAVAILABLE' } }] },
  ],
  ['escapes and non-ASCII', 'op-"4"\\é', { data: { eventRecorded: event('e"4"\\', { note: 'line\nbreak\ttab \u2028 Überwachung 📷 \u0001' }) } }],
  ['125 bytes (7-bit length)', '1', sized(125)],
  ['126 bytes (16-bit length)', '1', sized(126)],
  ['65,535 bytes (16-bit length)', '1', sized(65535)],
  ['65,536 bytes (64-bit length)', '1', sized(65536)],
];

const until = async (done: () => boolean) => {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
};

describe('frame writer', () => {
  it.each(representative)('writes the next frame of graphql-ws byte for byte: %s', (_name, id, payload) => {
    const { socket, writes } = fakeSocket();
    const outbox = new FrameOutbox();
    outbox.add(new FrameWriter({ socket, id }, () => false), Buffer.from(JSON.stringify(payload)));
    outbox.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0]?.equals(wsFrame(stringifyMessage({ id, type: MessageType.Next, payload })))).toBe(true);
  });

  it('covers each WebSocket length encoding with the sized payloads', () => {
    const lengthByte = (length: number) => wsFrame(stringifyMessage({ id: '1', type: MessageType.Next, payload: sized(length) }))[1];
    expect([125, 126, 65535, 65536].map(lengthByte)).toEqual([125, 126, 126, 127]);
    expect(Buffer.byteLength(stringifyMessage({ id: '1', type: MessageType.Next, payload: sized(65536) }))).toBe(65536);
  });

  it('writes the frames of a round to one connection as one buffer, in order, the same bytes as one ws.send each', () => {
    const { socket, writes } = fakeSocket();
    const outbox = new FrameOutbox();
    const writers = representative.map(([, id]) => new FrameWriter({ socket, id }, () => false));
    representative.forEach(([, , payload], i) => outbox.add(writers[i] as FrameWriter, Buffer.from(JSON.stringify(payload))));
    outbox.flush();
    expect(writes).toHaveLength(1);
    const expected = Buffer.concat(representative.map(([, id, payload]) => wsFrame(stringifyMessage({ id, type: MessageType.Next, payload }))));
    expect(writes[0]?.equals(expected)).toBe(true);
  });

  it('reuses the buffer of a flush only once the socket has written it', () => {
    const writes: Array<{ data: Buffer; done: () => void }> = [];
    const socket = {
      OPEN: 1,
      readyState: 1,
      bufferedAmount: 0,
      extensions: '',
      _socket: { destroyed: false, write: (data: Buffer, done: () => void) => void writes.push({ data, done }) },
    } as unknown as WebSocket;
    const writer = new FrameWriter({ socket, id: '1' }, () => false);
    const round = (id: string) => {
      const outbox = new FrameOutbox();
      const payload = { data: { eventRecorded: event(id) } };
      outbox.add(writer, Buffer.from(JSON.stringify(payload)));
      outbox.flush();
      return wsFrame(stringifyMessage({ id: '1', type: MessageType.Next, payload }));
    };
    const first = round('e1');
    const second = round('e2');
    // Neither write completed: the second flush did not touch the first one's bytes.
    expect(writes[0]?.data.equals(first)).toBe(true);
    writes[0]?.done();
    const third = round('e3');
    expect(writes[1]?.data.equals(second)).toBe(true);
    expect(writes[2]?.data.equals(third)).toBe(true);
    // The completed first buffer was taken again for the third flush.
    expect(writes[2]?.data.buffer).toBe(writes[0]?.data.buffer);
  });

  it('sends the same messages through ws.send where an extension was negotiated', () => {
    const { socket, writes, sent } = fakeSocket('permessage-deflate');
    const outbox = new FrameOutbox();
    for (const [, id, payload] of representative) outbox.add(new FrameWriter({ socket, id }, () => false), Buffer.from(JSON.stringify(payload)));
    outbox.flush();
    expect(writes).toHaveLength(0);
    expect(sent).toEqual(representative.map(([, id, payload]) => stringifyMessage({ id, type: MessageType.Next, payload })));
  });

  it("stays in order with graphql-ws's own error and complete frames on a real connection", async () => {
    const schema = buildSchema('type Query { ok: Boolean } type Subscription { eventRecorded: String }');
    const refusal = new GraphQLError('too many subscriptions on this connection (at most 1)', {
      extensions: { code: 'LIMIT_EXCEEDED', scope: 'connection', maxSubscriptions: 1 },
    });
    const payloads = representative.slice(0, 4).map(([, , payload]) => payload);
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', batchWrites);
    const cleanup = useServer<Record<string, unknown> | undefined, { socket: WebSocket }>(
      {
        schema,
        onSubscribe: (_ctx, id) => (id === 'refused' ? [refusal] : undefined),
        context: (ctx, id) => ({ socket: ctx.extra.socket, id }),
        // The gateway's way: frames written beside graphql-ws, whose iterator then ends (graphql-ws sends `complete`).
        subscribe: async (args) => {
          const channel = args.contextValue as { socket: WebSocket; id: string };
          const outbox = new FrameOutbox();
          const writer = new FrameWriter(channel, () => false);
          for (const payload of payloads) outbox.add(writer, Buffer.from(JSON.stringify(payload)));
          outbox.flush();
          return (async function* () {})() as AsyncGenerator<never>;
        },
      },
      server,
    );
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, 'graphql-transport-ws');
    const received: string[] = [];
    const expected = [
      stringifyMessage({ type: MessageType.ConnectionAck }),
      ...payloads.map((payload) => stringifyMessage({ id: 'live', type: MessageType.Next, payload })),
      stringifyMessage({ id: 'live', type: MessageType.Complete }),
      stringifyMessage({ id: 'refused', type: MessageType.Error, payload: [refusal.toJSON()] }),
    ];
    try {
      client.on('message', (data: Buffer) => received.push(data.toString('utf8')));
      await new Promise((resolve, reject) => {
        client.once('open', resolve);
        client.once('error', reject);
      });
      const send = (message: Message) => client.send(stringifyMessage(message));
      send({ type: MessageType.ConnectionInit });
      await until(() => received.length > 0);
      send({ id: 'live', type: MessageType.Subscribe, payload: { query: 'subscription { eventRecorded }' } });
      await until(() => received.length >= expected.length - 1);
      send({ id: 'refused', type: MessageType.Subscribe, payload: { query: 'subscription { eventRecorded }' } });
      await until(() => received.length >= expected.length);
    } finally {
      client.terminate();
      await cleanup.dispose();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(received).toEqual(expected);
  });
});
