/**
 * The receiving side of the fan-out bench, in a process of its own (the parent forks one or more):
 * WebSocket connections speaking the graphql-ws protocol (graphql-transport-ws: connection_init
 * with the token, connection_ack, subscribe, next, ping/pong). It must not be the bottleneck at
 * hundreds of thousands of messages a second, so it is a minimal WebSocket client of its own: the
 * HTTP upgrade through node:http, then frames read straight from the TCP stream (server frames are
 * unmasked; this client's few frames are masked as RFC 6455 requires). A `next` message is NOT
 * parsed: the event id (the first field of the bench's selection) and, end to end,
 * `attributes.sentAt` are found by byte search in the frame.
 * Anything that is not a plain payload (an `errors` member, an `error` or `complete` message) is
 * parsed in full and counted by code. Latencies go to a 1 ms histogram; the parent gets the counts,
 * the histograms and this process's CPU time over IPC.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';

export interface ClientStart {
  url: string;
  token: string;
  connections: number;
  subscriptionsPerConnection: number;
  query: string;
  /** Read `attributes.sentAt` too (live mode). */
  endToEnd: boolean;
}

/** `reset`: the warm-up is over; counts, histograms and CPU start again from zero. */
export type ToClient = { kind: 'start'; start: ClientStart } | { kind: 'reached'; ids: string[]; at: number } | { kind: 'reset' } | { kind: 'finish' };
export type FromClient =
  | { kind: 'subscribed'; subscriptions: number }
  | { kind: 'progress'; received: number }
  | { kind: 'report'; received: number; errors: Record<string, number>; fromExchange: number[]; endToEnd: number[]; cpuMs: number; wallMs: number };

const BUCKETS = 300_000; // 1 ms each: up to 5 minutes

class Histogram {
  readonly counts = new Uint32Array(BUCKETS);
  add(ms: number): void {
    const bucket = Math.min(BUCKETS - 1, Math.max(0, Math.round(ms)));
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
  }
  /** Sparse form for IPC: [ms, count, ms, count, ...]. */
  sparse(): number[] {
    const out: number[] = [];
    this.counts.forEach((count, ms) => {
      if (count > 0) out.push(ms, count);
    });
    return out;
  }
}

// A plain payload frame is `{"id":"<op id>` + NEXT_HEAD + `<event id>",…}}}}`; one with errors ends `]}}`.
const OPEN = Buffer.from('{"id":"');
const NEXT_HEAD = Buffer.from('","type":"next","payload":{"data":{"eventRecorded":{"id":"');
const SENT_MARK = Buffer.from('"sentAt":');
const QUOTE = 0x22;
const CLOSE_BRACKET = 0x5d;

function run(start: ClientStart): void {
  const send = (message: FromClient) => process.send?.(message);
  const reached = new Map<string, number>();
  const waiting = new Map<string, number[]>();
  let fromExchange = new Histogram();
  let endToEnd = new Histogram();
  const errors: Record<string, number> = {};
  let received = 0;
  let subscribed = 0;
  let cpuStart = process.cpuUsage();
  let wallStart = performance.now();

  const countError = (code: string) => {
    errors[code] = (errors[code] ?? 0) + 1;
  };

  // Read in the raw bytes at known places: no UTF-8 decoding nor search through the (many) plain payloads.
  const onFrame = (connection: FrameReader, data: Buffer) => {
    const at = Date.now();
    let idEnd = OPEN.length;
    while (idEnd < data.length && data[idEnd] !== QUOTE) idEnd++;
    const plain =
      data.compare(OPEN, 0, OPEN.length, 0, OPEN.length) === 0 &&
      data.compare(NEXT_HEAD, 0, NEXT_HEAD.length, idEnd, idEnd + NEXT_HEAD.length) === 0 &&
      data[data.length - 3] !== CLOSE_BRACKET;
    if (plain) {
      received += 1;
      const from = idEnd + NEXT_HEAD.length;
      let to = from;
      while (to < data.length && data[to] !== QUOTE) to++;
      const id = data.toString('latin1', from, to);
      const exchangeAt = reached.get(id);
      if (exchangeAt !== undefined) fromExchange.add(at - exchangeAt);
      else {
        const list = waiting.get(id);
        if (list) list.push(at);
        else waiting.set(id, [at]);
      }
      const sentAt = start.endToEnd ? data.indexOf(SENT_MARK, to) : -1;
      if (sentAt >= 0) endToEnd.add(at - Number.parseInt(data.toString('latin1', sentAt + SENT_MARK.length, sentAt + SENT_MARK.length + 20), 10));
      return;
    }
    const message = JSON.parse(data.toString('utf8')) as {
      type: string;
      payload?: { errors?: Array<{ message?: string; extensions?: { code?: string } }> } | Array<{ message?: string }>;
    };
    if (message.type === 'ping') return connection.send('{"type":"pong"}');
    if (message.type === 'pong' || message.type === 'connection_ack') return;
    if (message.type === 'next' && !Array.isArray(message.payload)) {
      const first = message.payload?.errors?.[0];
      return countError(String(first?.extensions?.code ?? first?.message ?? 'unknown'));
    }
    countError(`${message.type}${Array.isArray(message.payload) ? `: ${message.payload[0]?.message ?? ''}` : ''}`);
  };

  process.on('message', (message: ToClient) => {
    if (message.kind === 'reached') {
      for (const id of message.ids) {
        reached.set(id, message.at);
        const early = waiting.get(id);
        if (early) {
          for (const at of early) fromExchange.add(at - message.at);
          waiting.delete(id);
        }
      }
    } else if (message.kind === 'reset') {
      fromExchange = new Histogram();
      endToEnd = new Histogram();
      received = 0;
      cpuStart = process.cpuUsage();
      wallStart = performance.now();
      send({ kind: 'progress', received });
    } else if (message.kind === 'finish') {
      const usage = process.cpuUsage(cpuStart);
      send({
        kind: 'report',
        received,
        errors,
        fromExchange: fromExchange.sparse(),
        endToEnd: endToEnd.sparse(),
        cpuMs: (usage.user + usage.system) / 1000,
        wallMs: performance.now() - wallStart,
      });
      setTimeout(() => process.exit(0), 100);
    }
  });
  setInterval(() => send({ kind: 'progress', received }), 1000).unref();

  for (let c = 0; c < start.connections; c++) {
    const request = http.request(start.url.replace(/^ws/, 'http'), {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-version': '13',
        'sec-websocket-protocol': 'graphql-transport-ws',
      },
    });
    request.on('upgrade', (_response, socket: net.Socket, head: Buffer) => {
      let acknowledged = false;
      const connection = new FrameReader(socket, (payload) => {
        if (!acknowledged && payload.indexOf('"connection_ack"') >= 0) {
          acknowledged = true;
          for (let s = 0; s < start.subscriptionsPerConnection; s++) {
            connection.send(JSON.stringify({ id: `${c}-${s}`, type: 'subscribe', payload: { query: start.query } }));
          }
          subscribed += start.subscriptionsPerConnection;
          send({ kind: 'subscribed', subscriptions: subscribed });
          return;
        }
        onFrame(connection, payload);
      });
      connection.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${start.token}` } }));
      if (head.length > 0) connection.push(head);
      socket.on('close', () => countError('closed'));
      socket.on('error', (error) => countError(`socket error ${error.message}`));
    });
    request.on('response', (response) => countError(`upgrade refused ${response.statusCode}`));
    request.on('error', (error) => countError(`connect error ${error.message}`));
    request.end();
  }
}

/** Reads WebSocket frames from a TCP stream (text and close; no fragmentation, as graphql-ws sends none). */
class FrameReader {
  private rest: Buffer = Buffer.alloc(0);

  constructor(
    private readonly socket: net.Socket,
    private readonly onText: (payload: Buffer) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.push(chunk));
  }

  push(chunk: Buffer): void {
    let data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (data.length - at < 2) break;
      const opcode = (data[at] as number) & 0x0f;
      let length = (data[at + 1] as number) & 0x7f;
      let start = at + 2;
      if (length === 126) {
        if (data.length - at < 4) break;
        length = data.readUInt16BE(at + 2);
        start = at + 4;
      } else if (length === 127) {
        if (data.length - at < 10) break;
        length = Number(data.readBigUInt64BE(at + 2));
        start = at + 10;
      }
      if (data.length < start + length) break;
      const payload = data.subarray(start, start + length);
      if (opcode === 1) this.onText(payload);
      else if (opcode === 9)
        this.frame(0xa, payload); // ping -> pong
      else if (opcode === 8) this.socket.end();
      at = start + length;
    }
    data = data.subarray(at);
    // Keep only the unfinished frame, copied so the big chunk it came in can be freed.
    this.rest = data.length > 0 ? Buffer.from(data) : Buffer.alloc(0);
  }

  send(text: string): void {
    this.frame(0x1, Buffer.from(text));
  }

  private frame(opcode: number, payload: Buffer): void {
    const length = payload.length;
    const header = length < 126 ? Buffer.from([0x80 | opcode, 0x80 | length]) : Buffer.alloc(4);
    if (length >= 126) {
      if (length >= 65536) throw new Error('client frames stay small here');
      header[0] = 0x80 | opcode;
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    }
    const mask = randomBytes(4);
    const masked = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (mask[i & 3] as number);
    this.socket.write(Buffer.concat([header, mask, masked]));
  }
}

process.once('message', (message: ToClient) => {
  if (message.kind === 'start') run(message.start);
});
