import { ApiError, codeOf, execute, request } from '../api/graphql';
import { CAMERAS, type Camera, START_STREAM, STOP_STREAM, STREAM_STATUS_CHANGED, type StreamSession } from '../api/operations';
import { subscribe } from '../api/subscriptions';
import { fill, h, panel } from '../ui/dom';
import { describeError, setStatus, statusLine } from '../ui/messages';
import { attachHls } from './video-player';

const STATUS_TEXT: Record<string, string> = {
  STARTING: 'Starting…',
  LIVE: 'Live',
  RECONNECTING: 'Reconnecting to camera…',
  STOPPED: 'Stopped',
  FAILED: 'Stream failed',
};

interface Tile {
  camera: Camera;
  root: HTMLElement;
  video: HTMLVideoElement;
  badge: HTMLElement;
  note: HTMLElement;
  button: HTMLButtonElement | undefined;
  playingUrl: string | undefined;
  detach: (() => void) | undefined;
  lastAutoRetry: number;
}

const AUTO_RETRY_GAP_MS = 30000;

/** Camera tiles: status, live video (hls.js) and start/stop for operators. */
export class CamerasView {
  readonly root: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly status: HTMLElement;
  private readonly tiles = new Map<string, Tile>();
  private stopLive: (() => void) | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Camera names by id, for the feed and the charts. */
  onCameras: (cameras: Camera[]) => void = () => undefined;

  constructor(private readonly canOperate: boolean) {
    this.status = statusLine();
    this.grid = h('div', { class: 'tiles', id: 'camera-tiles' });
    this.root = panel('cameras', 'Cameras', () => void this.load(), this.status, this.grid);
  }

  start(): void {
    void this.load();
    this.stopLive = subscribe<{ streamStatusChanged: StreamSession }>(
      STREAM_STATUS_CHANGED,
      {},
      ({ streamStatusChanged }) => {
        const cameraId = streamStatusChanged.camera?.id;
        const tile = cameraId ? this.tiles.get(cameraId) : undefined;
        if (tile) this.applyStream(tile, streamStatusChanged);
      },
      () => undefined, // the poll below keeps tiles right when the live link is down
    );
  }

  stop(): void {
    this.stopLive?.();
    clearTimeout(this.retryTimer);
    for (const tile of this.tiles.values()) tile.detach?.();
    this.tiles.clear();
  }

  async load(): Promise<void> {
    clearTimeout(this.retryTimer);
    try {
      const { data, errors } = await request<{ cameras: { edges: Array<{ node: Camera }> } }>(CAMERAS);
      if (!data?.cameras) {
        const first = errors[0];
        throw new ApiError(first?.message ?? 'The gateway returned no cameras.', first ? codeOf(first) : 'INTERNAL_SERVER_ERROR');
      }
      const cameras = data.cameras.edges.map((edge) => edge.node);
      // The cameras came (query subgraph), so an error beside them is the media part: the gateway's
      // fetch errors carry no path, so the shape of the answer is the reliable sign.
      const mediaDown = errors.length > 0;
      setStatus(
        this.status,
        cameras.length === 0
          ? 'No cameras are registered yet. An admin registers cameras through the API (registerCamera).'
          : mediaDown
            ? 'The video service is not answering: camera status is shown, video is not available right now.'
            : '',
        cameras.length === 0 ? 'empty' : mediaDown ? 'error' : 'info',
      );
      this.render(cameras, mediaDown);
      this.onCameras(cameras);
      // STARTING streams become LIVE within seconds; poll as well as listen, in case the live link is down.
      const pending = cameras.some((c) => c.liveStream && c.liveStream.status !== 'LIVE' && c.liveStream.status !== 'STOPPED');
      this.retryTimer = setTimeout(() => void this.load(), pending || mediaDown ? 3000 : 15000);
    } catch (error) {
      setStatus(this.status, describeError(error, 'the cameras'), 'error');
      this.retryTimer = setTimeout(() => void this.load(), 5000);
    }
  }

  private render(cameras: Camera[], mediaDown: boolean): void {
    const seen = new Set<string>();
    for (const camera of cameras) {
      seen.add(camera.id);
      let tile = this.tiles.get(camera.id);
      if (!tile) {
        tile = this.createTile(camera);
        this.tiles.set(camera.id, tile);
      }
      tile.camera = camera;
      if (mediaDown) this.showUnknown(tile);
      else this.applyStream(tile, camera.liveStream);
    }
    for (const [id, tile] of this.tiles) {
      if (!seen.has(id)) {
        tile.detach?.();
        this.tiles.delete(id);
      }
    }
    fill(this.grid, ...cameras.map((c) => this.tiles.get(c.id)?.root));
  }

  private createTile(camera: Camera): Tile {
    const titleId = `camera-${camera.id}-title`;
    const video = h('video', { muted: true, playsinline: true, 'aria-labelledby': titleId, 'data-camera-id': camera.id });
    const badge = h('span', { class: 'badge' });
    const note = h('p', { class: 'tile-note', role: 'status' });
    const tile: Tile = {
      camera,
      root: h('article', { class: 'tile', 'aria-labelledby': titleId, 'data-camera-id': camera.id }),
      video,
      badge,
      note,
      button: undefined,
      playingUrl: undefined,
      detach: undefined,
      lastAutoRetry: 0,
    };
    if (this.canOperate) {
      tile.button = h('button', { type: 'button', onclick: () => void this.toggle(tile) });
    }
    tile.root.append(
      h('div', { class: 'tile-video' }, video),
      h('div', { class: 'tile-head' }, h('h3', { id: titleId }, camera.name), badge),
      h('p', { class: 'tile-site' }, camera.site ?? ''),
      note,
    );
    if (tile.button) tile.root.append(tile.button);
    return tile;
  }

  /** The video service did not answer: say so, rather than guess "stopped" and offer a start. */
  private showUnknown(tile: Tile): void {
    tile.badge.textContent = 'Video unavailable';
    tile.badge.dataset.status = 'UNKNOWN';
    tile.root.dataset.status = 'UNKNOWN';
    tile.note.textContent = 'The video service is not answering; the stream state is unknown.';
    if (tile.button) tile.button.disabled = true;
  }

  private applyStream(tile: Tile, stream: StreamSession | null): void {
    tile.camera = { ...tile.camera, liveStream: stream };
    const status = stream?.status ?? 'STOPPED';
    tile.badge.textContent = STATUS_TEXT[status] ?? status;
    tile.badge.dataset.status = status;
    tile.root.dataset.status = status;
    const running = status !== 'STOPPED' && status !== 'FAILED';
    if (tile.button) {
      tile.button.textContent = running ? `Stop ${tile.camera.name}` : `Start ${tile.camera.name}`;
      tile.button.disabled = false;
    }
    if (status === 'FAILED') {
      tile.note.textContent = `Stream failed${stream?.lastError ? `: ${stream.lastError}` : ''}.${this.canOperate ? ' Start it again to retry.' : ''}`;
    } else if (status === 'STOPPED') {
      tile.note.textContent = this.canOperate ? 'Not streaming. Press Start to watch.' : 'Not streaming.';
    } else if (status === 'RECONNECTING') {
      tile.note.textContent = `The camera dropped; reconnecting (restarts: ${stream?.restarts ?? 0}).`;
    } else if (status === 'STARTING') {
      tile.note.textContent = 'Waiting for the first video segment…';
    } else if (!tile.playingUrl) {
      tile.note.textContent = '';
    }
    const playable = stream && (status === 'LIVE' || status === 'RECONNECTING');
    if (playable && tile.playingUrl === undefined) this.play(tile, stream.hlsUrl);
    if (!running && tile.playingUrl !== undefined) {
      tile.detach?.();
      tile.detach = undefined;
      tile.playingUrl = undefined;
    }
  }

  private play(tile: Tile, url: string): void {
    tile.playingUrl = url;
    tile.note.textContent = 'Loading video…';
    tile.detach = attachHls(tile.video, url, {
      onPlaying: () => {
        tile.note.textContent = '';
      },
      onFailed: (message, linkRefused) => {
        tile.playingUrl = undefined;
        tile.detach = undefined;
        // An expired link is routine (links are short-lived): fetch a fresh one once, unasked.
        if (linkRefused && Date.now() - tile.lastAutoRetry > AUTO_RETRY_GAP_MS) {
          tile.lastAutoRetry = Date.now();
          tile.note.textContent = 'Renewing the video link…';
          void this.load();
          return;
        }
        fill(tile.note, message, ' ', h('button', { type: 'button', class: 'quiet', onclick: () => void this.load() }, 'Retry'));
      },
    });
  }

  private async toggle(tile: Tile): Promise<void> {
    if (!tile.button) return;
    const running = tile.camera.liveStream && tile.camera.liveStream.status !== 'STOPPED' && tile.camera.liveStream.status !== 'FAILED';
    tile.button.disabled = true;
    try {
      if (running) {
        const data = await execute<{ stopStream: StreamSession | null }>(STOP_STREAM, { cameraId: tile.camera.id });
        this.applyStream(tile, data.stopStream ? { ...data.stopStream, status: 'STOPPED' } : null);
      } else {
        const data = await execute<{ startStream: StreamSession }>(START_STREAM, { cameraId: tile.camera.id });
        this.applyStream(tile, data.startStream);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => void this.load(), 3000);
      }
    } catch (error) {
      tile.note.textContent = describeError(error, running ? 'stopping the stream' : 'starting the stream');
      tile.button.disabled = false;
    }
  }
}
