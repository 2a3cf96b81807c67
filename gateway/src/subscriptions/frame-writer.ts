import type net from 'node:net';
import type { WebSocket } from 'ws';

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

/** ws's TCP socket, when frames may be written to it directly (see FrameOutbox). */
function rawSocketOf(socket: WebSocket): net.Socket | undefined {
  // `_socket` is ws's underlying net.Socket; ws offers no public handle to it. Direct writes stay
  // in order with ws's own only while its sender writes synchronously: no extension negotiated
  // (permessage-deflate queues frames while compressing), which is this server's configuration.
  const raw = (socket as unknown as { _socket?: net.Socket })._socket;
  return raw && socket.extensions === '' ? raw : undefined;
}

/**
 * Writes graphql-ws `next` messages for one subscription around graphql-ws's own per-message path
 * (which builds, validates and JSON-stringifies each message per subscriber): the payload is
 * serialized once for every subscriber of a selection, and only the envelope
 * `{"id":…,"type":"next","payload":…}` differs per subscriber. The message is byte-for-byte what
 * graphql-ws's `stringifyMessage` produces for the same payload (same keys, same order). graphql-ws
 * still owns everything else: it registered the operation, and it calls `return()` on the
 * subscription's iterator on `complete` or close, after which `closed` holds.
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

  get closed(): boolean {
    return this.isClosed() || this.channel.socket.readyState !== this.channel.socket.OPEN;
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

/**
 * Collects the frames of one delivery round per connection and writes each connection's frames
 * as one buffer: one system call per connection per round instead of one `ws.send` per
 * subscriber and message (the largest fan-out cost in the bench/gateway profile). Where a
 * connection cannot take direct writes, each frame goes through `ws.send`.
 *
 * A connection that cannot keep up (more than SOCKET_BUFFER_MAX_BYTES waiting) loses new frames:
 * memory stays bounded and other connections are not slowed.
 */
export class FrameOutbox {
  private readonly pending = new Map<WebSocket, { chunks: Buffer[]; bytes: number }>();

  /** Queues one `next` frame with an already serialized payload; false when the bound dropped it. */
  add(writer: FrameWriter, payload: Buffer): boolean {
    if (writer.closed) return true;
    const { socket } = writer.channel;
    let entry = this.pending.get(socket);
    if (!entry) {
      entry = { chunks: [], bytes: 0 };
      this.pending.set(socket, entry);
    }
    if (socket.bufferedAmount + entry.bytes > SOCKET_BUFFER_MAX_BYTES) return false;
    const head = writer.headFor(payload.length);
    entry.chunks.push(head, payload, SUFFIX);
    entry.bytes += head.length + payload.length + SUFFIX.length;
    return true;
  }

  /** Writes what was queued, one buffer per connection. */
  flush(): void {
    for (const [socket, { chunks, bytes }] of this.pending) {
      if (socket.readyState !== socket.OPEN) continue;
      const raw = rawSocketOf(socket);
      if (raw && !raw.destroyed) {
        raw.write(Buffer.concat(chunks, bytes));
        continue;
      }
      // Each frame is head (header + prefix), payload, suffix: send the message part through ws.
      for (let i = 0; i + 2 < chunks.length; i += 3) {
        const head = chunks[i] as Buffer;
        const headerLength = head[1] === 126 ? 4 : head[1] === 127 ? 10 : 2;
        socket.send(Buffer.concat([head.subarray(headerLength), chunks[i + 1] as Buffer, SUFFIX]), { binary: false });
      }
    }
    this.pending.clear();
  }
}
