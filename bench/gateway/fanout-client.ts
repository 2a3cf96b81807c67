/**
 * The receiving side of the fan-out bench, in a process of its own (the parent forks one or more):
 * raw `ws` connections speaking the graphql-ws protocol (graphql-transport-ws: connection_init with
 * the token, connection_ack, subscribe, next, ping/pong). It must not be the bottleneck at hundreds
 * of thousands of messages a second, so a `next` message is NOT parsed: the event id (the first
 * field of the bench's selection) and, end to end, `attributes.sentAt` are read by string search.
 * Anything that is not a plain payload (an `errors` member, an `error` or `complete` message) is
 * parsed in full and counted by code. Latencies go to a 1 ms histogram; the parent gets the counts,
 * the histograms and this process's CPU time over IPC.
 */
import WebSocket from 'ws';

export interface ClientStart {
  url: string;
  token: string;
  connections: number;
  subscriptionsPerConnection: number;
  query: string;
}

export type ToClient = { kind: 'start'; start: ClientStart } | { kind: 'reached'; ids: string[]; at: number } | { kind: 'finish' };
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

const ID_MARK = '"eventRecorded":{"id":"';
const SENT_MARK = '"sentAt":';

function run(start: ClientStart): void {
  const send = (message: FromClient) => process.send?.(message);
  const reached = new Map<string, number>();
  const waiting = new Map<string, number[]>();
  const fromExchange = new Histogram();
  const endToEnd = new Histogram();
  const errors: Record<string, number> = {};
  let received = 0;
  let subscribed = 0;
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();

  const countError = (code: string) => {
    errors[code] = (errors[code] ?? 0) + 1;
  };

  const onText = (socket: WebSocket, text: string) => {
    const at = Date.now();
    const idAt = text.indexOf(ID_MARK);
    if (idAt >= 0 && text.indexOf('"errors"') < 0) {
      received += 1;
      const from = idAt + ID_MARK.length;
      const id = text.slice(from, text.indexOf('"', from));
      const exchangeAt = reached.get(id);
      if (exchangeAt !== undefined) fromExchange.add(at - exchangeAt);
      else {
        const list = waiting.get(id);
        if (list) list.push(at);
        else waiting.set(id, [at]);
      }
      const sentAt = text.indexOf(SENT_MARK);
      if (sentAt >= 0) endToEnd.add(at - Number.parseInt(text.slice(sentAt + SENT_MARK.length), 10));
      return;
    }
    const message = JSON.parse(text) as { type: string; payload?: { errors?: Array<{ message?: string; extensions?: { code?: string } }> } | Array<{ message?: string }> };
    if (message.type === 'ping') return socket.send('{"type":"pong"}');
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
    const socket = new WebSocket(start.url, 'graphql-transport-ws');
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${start.token}` } })));
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const text = isBinary ? '' : data.toString('utf8');
      if (text.startsWith('{"type":"connection_ack"')) {
        for (let s = 0; s < start.subscriptionsPerConnection; s++) {
          socket.send(JSON.stringify({ id: `${c}-${s}`, type: 'subscribe', payload: { query: start.query } }));
        }
        subscribed += start.subscriptionsPerConnection;
        send({ kind: 'subscribed', subscriptions: subscribed });
        return;
      }
      onText(socket, text);
    });
    socket.on('close', (code, reason) => countError(`closed ${code} ${reason.toString()}`));
    socket.on('error', (error) => countError(`socket error ${error.message}`));
  }
}

process.once('message', (message: ToClient) => {
  if (message.kind === 'start') run(message.start);
});
