import type net from 'node:net';
import type { WebSocket } from 'ws';

/*
 * The graphql-ws frames the gateway writes itself, and all it does beneath ws's public API.
 *
 * Why `next` frames of eventRecorded skip graphql-ws and `ws.send` and go to the TCP socket: fan-out
 * sends ONE payload to many subscribers at once (bench/gateway: 1,000 subscribers at 500 events/s,
 * 500,000 messages a second on 2 cores). On graphql-ws's path each subscriber's message is built,
 * validated and JSON-stringified whole, payload included (`stringifyMessage`), `ws.send` frames it
 * and queues header and body as two socket writes, and graphql-ws waits for that write's callback
 * before it takes the subscription's next result. Here the payload is serialized once per
 * selection, only the short `{"id":…,"type":"next","payload":` prefix differs per subscriber, and
 * all frames of one delivery round to one connection leave as ONE buffer in ONE write. In the
 * fan-out table of bench/gateway/README.md, the step from the gateway's own frames sent through
 * `ws.send` (164k messages a second, 1.4 of 5 million dropped by the 4 MiB bound) to one buffer per
 * connection per round took it to all 5 million delivered at 459k a second.
 *
 * Why it stays correct: the bytes are exactly graphql-ws's `stringifyMessage` output
 * (test/unit/gateway/frame-writer.unit.spec.ts compares them), and direct writes stay in order with
 * ws's own only while ws's sender writes synchronously, that is while no extension is negotiated
 * (permessage-deflate queues frames while it compresses): this server negotiates none, and where one
 * is, the frames go through `ws.send`. graphql-ws keeps the protocol (connection_init, ping/pong,
 * subscribe, `error` and `complete`) and ends the subscription's iterator on `complete` or close,
 * after which nothing more is written for it.
 */

/** Bytes a connection may have waiting to be sent before its new frames are dropped. */
export const SOCKET_BUFFER_MAX_BYTES = 4 * 2 ** 20;

/** Where one graphql-ws subscription's `next` frames go when the gateway writes them itself. */
export interface SubscriptionChannel {
  socket: WebSocket;
  /** The graphql-ws operation id the client chose. */
  id: string;
}

const SUFFIX = Buffer.from('}');

/** A WebSocket text frame header (FIN, opcode 1, unmasked as server frames are) for `length` bytes. */
function frameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 65536) {
    const header = Buffer.allocUnsafe(4);
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.allocUnsafe(10);
  header[0] = 0x81;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

/** ws's TCP socket: `_socket` is ws's own field, for which ws offers no public handle. */
const tcpSocketOf = (socket: WebSocket): net.Socket | undefined => (socket as unknown as { _socket?: net.Socket })._socket;

/** ws's TCP socket, when frames may be written to it directly: no extension negotiated (see the top). */
function rawSocketOf(socket: WebSocket): net.Socket | undefined {
  const raw = tcpSocketOf(socket);
  return raw && socket.extensions === '' ? raw : undefined;
}

/**
 * For graphql-ws's own messages (eventStatsUpdated, streamStatusChanged, frames of a connection
 * that cannot take direct writes): many go to one socket within one turn of the event loop, so the
 * TCP socket is corked at the first `ws.send` of a turn and uncorked after it, and they leave in one
 * write instead of one system call each.
 */
export function batchWrites(socket: WebSocket): void {
  const raw = tcpSocketOf(socket);
  if (!raw) return;
  const send = socket.send.bind(socket);
  let corked = false;
  socket.send = ((...args: Parameters<WebSocket['send']>) => {
    if (!corked && !raw.destroyed) {
      corked = true;
      raw.cork();
      setImmediate(() => {
        corked = false;
        raw.uncork();
      });
    }
    send(...args);
  }) as WebSocket['send'];
}

/**
 * The `next` messages of one subscription: the envelope `{"id":…,"type":"next","payload":…}` around
 * a payload serialized once for every subscriber of its selection, the same keys in the same order
 * as `stringifyMessage`. `ended` holds once graphql-ws ended the subscription (complete, close).
 */
export class FrameWriter {
  readonly prefix: Buffer;
  /** The frame header and prefix for the last payload length: consecutive payloads often have the same. */
  private head: { payloadLength: number; bytes: Buffer } | undefined;

  constructor(
    readonly channel: SubscriptionChannel,
    private readonly isClosed: () => boolean,
  ) {
    this.prefix = Buffer.from(`{"id":${JSON.stringify(channel.id)},"type":"next","payload":`);
  }

  /** graphql-ws ended the subscription (complete, close). */
  get ended(): boolean {
    return this.isClosed();
  }

  /** Frame header + `{"id":…,"type":"next","payload":` for a payload of that many bytes. */
  headFor(payloadLength: number): Buffer {
    if (this.head?.payloadLength !== payloadLength) {
      const header = frameHeader(this.prefix.length + payloadLength + SUFFIX.length);
      this.head = { payloadLength, bytes: Buffer.concat([header, this.prefix]) };
    }
    return this.head.bytes;
  }
}

/** Frames of one payload to one connection: each head followed by the same body (payload + `}`). */
interface Run {
  body: Buffer;
  heads: Buffer[];
}

/** What one connection has queued in a round; `buffered` and `open`: its socket when the round began. */
interface Pending {
  runs: Run[];
  bytes: number;
  buffered: number;
  open: boolean;
}

/**
 * Collects the frames of one delivery round per connection and writes each connection's frames
 * as one buffer, in one write (see the top). Where a connection cannot take direct writes, each
 * frame goes through `ws.send`.
 *
 * Why runs: a round is a few payloads to many subscribers, so per connection the frames are
 * "head, payload, `}`" with the same payload over and over. The payload and its `}` are joined once
 * per payload (`body`), each frame only adds its head to the run, and the flush copies heads and
 * bodies straight into the connection's buffer: no per-frame chunks for Buffer.concat to check and
 * copy (in a CPU profile of the 1,000-subscriber bench that was 15% of the gateway).
 *
 * A connection that cannot keep up (more than SOCKET_BUFFER_MAX_BYTES waiting) loses new frames:
 * memory stays bounded and other connections are not slowed.
 */
export class FrameOutbox {
  private readonly pending = new Map<WebSocket, Pending>();
  private lastPayload: Buffer | undefined;
  private lastBody: Buffer | undefined;

  /** Queues one `next` frame with an already serialized payload; false when the bound dropped it. */
  add(writer: FrameWriter, payload: Buffer): boolean {
    if (writer.ended) return true;
    const { socket } = writer.channel;
    let entry = this.pending.get(socket);
    if (!entry) {
      // The socket's state, asked once per connection and round (ws's getters cost 5% asked per frame).
      entry = { runs: [], bytes: 0, buffered: socket.bufferedAmount, open: socket.readyState === socket.OPEN };
      this.pending.set(socket, entry);
    }
    if (!entry.open) return true;
    if (entry.buffered + entry.bytes > SOCKET_BUFFER_MAX_BYTES) return false;
    const head = writer.headFor(payload.length);
    const body = this.bodyOf(payload);
    const run = entry.runs[entry.runs.length - 1];
    if (run?.body === body) run.heads.push(head);
    else entry.runs.push({ body, heads: [head] });
    entry.bytes += head.length + body.length;
    return true;
  }

  /** Writes what was queued, one buffer per connection. */
  flush(): void {
    for (const [socket, { runs, bytes }] of this.pending) {
      if (socket.readyState !== socket.OPEN) continue;
      const raw = rawSocketOf(socket);
      if (raw && !raw.destroyed) {
        const { buffer, release } = slabs.take(bytes);
        joinRuns(runs, buffer);
        raw.write(buffer.subarray(0, bytes), release);
        continue;
      }
      // Each frame is head (header + prefix) and body: send the message part through ws.
      for (const { body, heads } of runs) {
        for (const head of heads) {
          const headerLength = head[1] === 126 ? 4 : head[1] === 127 ? 10 : 2;
          socket.send(Buffer.concat([head.subarray(headerLength), body]), { binary: false });
        }
      }
    }
    this.pending.clear();
    this.lastPayload = undefined;
    this.lastBody = undefined;
  }

  /** The payload followed by the frame's closing `}`, joined once per payload (the caller reuses its Buffer). */
  private bodyOf(payload: Buffer): Buffer {
    if (payload !== this.lastPayload) {
      this.lastPayload = payload;
      this.lastBody = Buffer.concat([payload, SUFFIX]);
    }
    return this.lastBody as Buffer;
  }
}

/**
 * Buffers for a connection's frames of one flush, reused once the socket wrote them (its write
 * callback). A new buffer per flush and connection was 92 MB a second of short-lived backing
 * stores in the 1,000-subscriber bench: 8% of the gateway's CPU in their allocation and much of
 * its 15% in garbage collection. A flush larger than a slab gets a buffer of its own.
 */
class SlabPool {
  private readonly free: Buffer[] = [];

  constructor(
    private readonly slabBytes: number,
    private readonly kept: number,
  ) {}

  take(bytes: number): { buffer: Buffer; release?: () => void } {
    if (bytes > this.slabBytes) return { buffer: Buffer.allocUnsafe(bytes) };
    const slab = this.free.pop() ?? Buffer.allocUnsafeSlow(this.slabBytes);
    // Only after the write completed (or failed): until then the socket may still read from it.
    return { buffer: slab, release: () => void (this.free.length < this.kept && this.free.push(slab)) };
  }
}

/** 10,000 frames over 50 connections is about 36 KiB each; up to 8 MiB kept for reuse. */
const slabs = new SlabPool(64 * 1024, 128);

function joinRuns(runs: readonly Run[], out: Buffer): void {
  let offset = 0;
  for (const { body, heads } of runs) {
    for (const head of heads) {
      out.set(head, offset);
      offset += head.length;
      out.set(body, offset);
      offset += body.length;
    }
  }
}
