import { ApiError, codeOf, execute, request } from '../api/graphql';
import { CAMERAS, type Camera, START_STREAM, STOP_STREAM, STREAM_STATUS_CHANGED, type StreamSession } from '../api/operations';
import { subscribe } from '../api/subscriptions';
import { type CameraCriteria, LAYOUTS, type Layout } from '../state/dashboard-state';
import { store } from '../state/store';
import { fill, h, panel } from '../ui/dom';
import { field, select, setOptions } from '../ui/fields';
import { describeError, setStatus, statusLine } from '../ui/messages';
import { groupBySite, NO_SITE, offlineReason, pageOf, selectCameras, sitesOf, STREAM_STATES } from './camera-list';
import { attachHls } from './video-player';

const STATUS_TEXT: Record<string, string> = {
  STARTING: 'Starting…',
  LIVE: 'Live',
  RECONNECTING: 'Reconnecting to camera…',
  STOPPED: 'Stopped',
  FAILED: 'Stream failed',
};

const RECORDER_TEXT = { RECORDING: 'Recording', RECONNECTING: 'Recording: connecting to the camera…', OFF: 'Not recording' } as const;

const LAYOUT_TEXT: Record<Layout, string> = { cards: 'Cards', '2x2': 'Wall 2×2', '3x3': 'Wall 3×3', '4x4': 'Wall 4×4' };
/** Tiles per page: a card page stays small enough to render at once; a wall shows exactly its grid. */
const PAGE_SIZE: Record<Layout, number> = { cards: 24, '2x2': 4, '3x3': 9, '4x4': 16 };

interface Tile {
  camera: Camera;
  root: HTMLElement;
  video: HTMLVideoElement;
  badge: HTMLElement;
  /** Recording state and, for an offline camera, why. */
  health: HTMLElement;
  note: HTMLElement;
  button: HTMLButtonElement | undefined;
  playingUrl: string | undefined;
  detach: (() => void) | undefined;
  lastAutoRetry: number;
  /** On screen (IntersectionObserver): only tiles on screen play video. */
  visible: boolean;
  /** A wall started this camera's stream while on screen: not again until it has left the screen. */
  wallStarted: boolean;
}

const AUTO_RETRY_GAP_MS = 30000;

const running = (stream: StreamSession | null | undefined): boolean => Boolean(stream && stream.status !== 'STOPPED' && stream.status !== 'FAILED');

/**
 * The cameras: search and filters, grouped by site, a page at a time (a card grid, or a 2×2 to 4×4
 * wall). Video plays only in tiles on screen while the page is visible; a wall starts the streams
 * of the tiles it shows.
 */
export class CamerasView {
  readonly root: HTMLElement;
  private readonly groups: HTMLElement;
  private readonly status: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly pager: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly site: HTMLSelectElement;
  private readonly cameraStatus: HTMLSelectElement;
  private readonly stream: HTMLSelectElement;
  private readonly layout: HTMLSelectElement;
  private readonly tiles = new Map<string, Tile>();
  /** "N cameras offline" over every camera, not only the page: the header shows it. */
  readonly offlineCount: HTMLElement;
  private cameras: Camera[] = [];
  private mediaDown = false;
  private loaded = false;
  private renderedLayout: Layout | undefined;
  private stopLive: (() => void) | undefined;
  private stopStore: (() => void) | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly observer: IntersectionObserver;
  private readonly onVisibility = () => this.refreshPlayers();
  /** Camera names by id, for the feed and the charts. */
  onCameras: (cameras: Camera[]) => void = () => undefined;

  constructor(private readonly canOperate: boolean) {
    const criteria = store.state.cameras;
    const set = (change: Partial<CameraCriteria>) => store.update((s) => ({ ...s, cameras: { ...s.cameras, page: 1, ...change } }));
    this.status = statusLine();
    this.search = h('input', {
      type: 'search',
      id: 'camera-search',
      placeholder: 'Name, id or site',
      autocomplete: 'off',
      oninput: () => set({ text: this.search.value }),
    });
    this.search.value = criteria.text;
    this.site = select(
      { id: 'camera-site', onchange: () => set({ site: this.site.value }) },
      [['', 'All sites'], ...(criteria.site ? [[criteria.site, criteria.site] as const] : [])],
      criteria.site,
    );
    this.cameraStatus = select(
      { id: 'camera-status', onchange: () => set({ status: this.cameraStatus.value as CameraCriteria['status'] }) },
      [
        ['ACTIVE', 'Active'],
        ['DECOMMISSIONED', 'Decommissioned'],
        ['ALL', 'All'],
      ],
      criteria.status,
    );
    this.stream = select(
      { id: 'camera-stream', onchange: () => set({ stream: this.stream.value as CameraCriteria['stream'] }) },
      [['', 'Any'], ...STREAM_STATES.map((s) => [s, s === 'STOPPED' ? 'Not streaming' : (STATUS_TEXT[s] ?? s).replace('…', '')] as const)],
      criteria.stream,
    );
    this.layout = select(
      { id: 'camera-layout', onchange: () => set({ layout: this.layout.value as Layout }) },
      LAYOUTS.map((l) => [l, LAYOUT_TEXT[l]] as const),
      criteria.layout,
    );
    this.summary = h('p', { class: 'summary', id: 'camera-summary', 'aria-live': 'polite' });
    this.offlineCount = h('span', { class: 'offline-count', id: 'offline-count', role: 'status', hidden: true });
    this.groups = h('div', { class: 'camera-groups', id: 'camera-tiles' });
    this.pager = h('nav', { class: 'pager', 'aria-label': 'Camera pages' });
    this.root = panel(
      'cameras',
      'Cameras',
      () => void this.load(),
      h(
        'div',
        { class: 'filters', role: 'search', 'aria-label': 'Cameras' },
        field('Search cameras', this.search),
        field('Site', this.site),
        field('Camera status', this.cameraStatus),
        field('Stream', this.stream),
        field('Layout', this.layout),
      ),
      this.status,
      this.summary,
      this.groups,
      this.pager,
    );
    this.observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const tile = this.tiles.get((entry.target as HTMLElement).dataset.cameraId ?? '');
        if (tile) {
          tile.visible = entry.isIntersecting;
          // Back on screen later, a wall starts its stream again if it has stopped meanwhile.
          if (!tile.visible) tile.wallStarted = false;
          this.refreshPlayer(tile);
        }
      }
    });
  }

  start(): void {
    void this.load();
    this.stopStore = store.listen((state, previous) => {
      if (state.cameras !== previous.cameras) this.render();
    });
    document.addEventListener('visibilitychange', this.onVisibility);
    this.stopLive = subscribe<{ streamStatusChanged: StreamSession }>(
      STREAM_STATUS_CHANGED,
      {},
      ({ streamStatusChanged }) => {
        const cameraId = streamStatusChanged.camera?.id;
        const camera = this.cameras.find((c) => c.id === cameraId);
        if (camera) camera.liveStream = streamStatusChanged.status === 'STOPPED' ? null : streamStatusChanged;
        const tile = cameraId ? this.tiles.get(cameraId) : undefined;
        if (tile) this.applyStream(tile, streamStatusChanged);
        this.countOffline();
      },
      () => undefined, // the poll below keeps tiles right when the live link is down
    );
  }

  stop(): void {
    this.stopLive?.();
    this.stopStore?.();
    document.removeEventListener('visibilitychange', this.onVisibility);
    clearTimeout(this.retryTimer);
    this.observer.disconnect();
    for (const tile of this.tiles.values()) tile.detach?.();
    this.tiles.clear();
  }

  /** Focuses the camera search (the `/` key when the feed is not the target). */
  focusSearch(): void {
    this.search.focus();
    this.search.select();
  }

  async load(): Promise<void> {
    clearTimeout(this.retryTimer);
    try {
      const cameras: Camera[] = [];
      let mediaDown = false;
      let after: string | null = null;
      do {
        type Answer = { cameras: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: Camera }> } };
        const { data, errors }: { data: Answer | null; errors: Array<{ message: string; extensions?: Record<string, unknown> }> } = await request<Answer>(
          CAMERAS,
          { after },
        );
        if (!data?.cameras) {
          const first = errors[0];
          throw new ApiError(first?.message ?? 'The gateway returned no cameras.', first ? codeOf(first) : 'INTERNAL_SERVER_ERROR');
        }
        cameras.push(...data.cameras.edges.map((edge) => edge.node));
        // The cameras came (query subgraph), so an error beside them is the media part: the gateway's
        // fetch errors carry no path, so the shape of the answer is the reliable sign.
        mediaDown ||= errors.length > 0;
        after = data.cameras.pageInfo.hasNextPage ? data.cameras.pageInfo.endCursor : null;
      } while (after);
      this.cameras = cameras;
      this.mediaDown = mediaDown;
      this.loaded = true;
      setStatus(
        this.status,
        cameras.length === 0
          ? 'No cameras are registered yet. An admin registers cameras through the API (registerCamera).'
          : mediaDown
            ? 'The video service is not answering: camera status is shown, video is not available right now.'
            : '',
        cameras.length === 0 ? 'empty' : mediaDown ? 'error' : 'info',
      );
      setOptions(this.site, [['', 'All sites'], ...sitesOf(cameras).map((s) => [s, s] as const), ['(none)', 'No site']], store.state.cameras.site);
      this.render();
      this.onCameras(cameras);
      // STARTING streams become LIVE within seconds; poll as well as listen, in case the live link is down.
      const pending = cameras.some((c) => c.liveStream && c.liveStream.status !== 'LIVE' && c.liveStream.status !== 'STOPPED');
      this.retryTimer = setTimeout(() => void this.load(), pending || mediaDown ? 3000 : 15000);
    } catch (error) {
      setStatus(this.status, describeError(error, 'the cameras'), 'error');
      this.retryTimer = setTimeout(() => void this.load(), 5000);
    }
  }

  private render(): void {
    if (!this.loaded) return;
    const criteria = store.state.cameras;
    if (document.activeElement !== this.search) this.search.value = criteria.text;
    this.site.value = criteria.site;
    this.cameraStatus.value = criteria.status;
    this.stream.value = criteria.stream;
    this.layout.value = criteria.layout;
    const site = criteria.site === '(none)' ? NO_SITE : criteria.site;
    const matching = selectCameras(this.cameras, { ...criteria, site });
    const noSiteOnly = criteria.site === '(none)';
    const selected = noSiteOnly ? matching.filter((c) => !c.site) : matching;
    const size = PAGE_SIZE[criteria.layout];
    const page = pageOf(selected, criteria.page, size);
    const first = (page.page - 1) * size + 1;
    this.summary.textContent =
      selected.length === 0
        ? this.cameras.length === 0
          ? ''
          : `No camera matches these filters (${this.cameras.length} cameras in all).`
        : `Showing ${first}–${first + page.items.length - 1} of ${selected.length} matching cameras (${this.cameras.length} in all).`;
    this.countOffline();

    // A new layout moves every tile: what was on screen may not be any more. Until the observer has
    // seen the new layout, no tile counts as on screen (else a wall would start streams below the fold).
    const layoutChanged = this.renderedLayout !== undefined && this.renderedLayout !== criteria.layout;
    this.renderedLayout = criteria.layout;
    if (layoutChanged) {
      for (const tile of this.tiles.values()) {
        this.observer.unobserve(tile.root);
        tile.visible = false;
      }
    }
    const shown = new Set(page.items.map((c) => c.id));
    for (const [id, tile] of this.tiles) {
      if (!shown.has(id)) {
        this.observer.unobserve(tile.root);
        tile.detach?.();
        this.tiles.delete(id);
      }
    }
    const wall = criteria.layout !== 'cards';
    this.groups.dataset.layout = criteria.layout;
    fill(
      this.groups,
      ...groupBySite(page.items).map((group) =>
        h(
          'section',
          { class: 'site-group', 'aria-label': group.site ? `Site ${group.site}` : 'No site', 'data-site': group.site },
          h('h3', { class: 'site-name' }, group.site || 'No site', h('span', { class: 'site-count' }, ` · ${group.cameras.length} shown`)),
          h(
            'div',
            { class: wall ? 'tiles wall' : 'tiles', 'data-layout': criteria.layout },
            ...group.cameras.map((camera) => {
              let tile = this.tiles.get(camera.id);
              if (!tile) {
                tile = this.createTile(camera);
                this.tiles.set(camera.id, tile);
                this.observer.observe(tile.root);
              }
              tile.camera = camera;
              this.applyHealth(tile);
              if (this.mediaDown) this.showUnknown(tile);
              else this.applyStream(tile, camera.liveStream);
              return tile.root;
            }),
          ),
        ),
      ),
    );
    if (layoutChanged) for (const tile of this.tiles.values()) this.observer.observe(tile.root);
    this.renderPager(page.page, page.pages);
    if (criteria.page !== page.page && selected.length > 0) store.update((s) => ({ ...s, cameras: { ...s.cameras, page: page.page } }));
  }

  private renderPager(page: number, pages: number): void {
    const go = (to: number) => store.update((s) => ({ ...s, cameras: { ...s.cameras, page: to } }));
    this.pager.hidden = pages <= 1;
    fill(
      this.pager,
      h('button', { type: 'button', class: 'quiet', disabled: page <= 1, onclick: () => go(page - 1) }, 'Previous page'),
      h('span', { class: 'page-of', 'aria-live': 'polite' }, `Page ${page} of ${pages}`),
      h('button', { type: 'button', class: 'quiet', disabled: page >= pages, onclick: () => go(page + 1) }, 'Next page'),
    );
  }

  private createTile(camera: Camera): Tile {
    const titleId = `camera-${camera.id}-title`;
    const video = h('video', { muted: true, playsinline: true, 'aria-labelledby': titleId, 'data-camera-id': camera.id });
    const badge = h('span', { class: 'badge' });
    const health = h('p', { class: 'recorder' });
    const note = h('p', { class: 'tile-note', role: 'status' });
    const tile: Tile = {
      camera,
      root: h('article', { class: 'tile', 'aria-labelledby': titleId, 'data-camera-id': camera.id }),
      video,
      badge,
      health,
      note,
      button: undefined,
      playingUrl: undefined,
      detach: undefined,
      lastAutoRetry: 0,
      visible: false,
      wallStarted: false,
    };
    if (this.canOperate && camera.status === 'ACTIVE') {
      tile.button = h('button', { type: 'button', onclick: () => void this.toggle(tile) });
    }
    tile.root.append(
      h('div', { class: 'tile-video' }, video),
      h('div', { class: 'tile-head' }, h('h4', { id: titleId }, camera.name), badge),
      h('p', { class: 'tile-site' }, camera.status === 'DECOMMISSIONED' ? 'Decommissioned' : ''),
      health,
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

  /** Offline cameras stand out: a red card saying why; the header counts them over all cameras. */
  private applyHealth(tile: Tile): void {
    const camera = tile.camera;
    const reason = offlineReason(camera, Date.now());
    tile.root.dataset.offline = String(reason !== null);
    const recorder = camera.recorder;
    tile.health.hidden = !recorder && !reason;
    tile.health.dataset.recorder = recorder?.state ?? 'NONE';
    if (reason) fill(tile.health, h('strong', {}, 'Offline'), ` · ${reason}`);
    else fill(tile.health, recorder ? RECORDER_TEXT[recorder.state] : '');
  }

  private countOffline(): void {
    const now = Date.now();
    const offline = this.cameras.filter((camera) => offlineReason(camera, now) !== null).length;
    this.offlineCount.hidden = offline === 0;
    this.offlineCount.dataset.count = String(offline);
    this.offlineCount.textContent = `${offline} camera${offline === 1 ? '' : 's'} offline`;
  }

  private applyStream(tile: Tile, stream: StreamSession | null): void {
    tile.camera = { ...tile.camera, liveStream: stream };
    this.applyHealth(tile);
    const status = stream?.status ?? 'STOPPED';
    tile.badge.textContent = STATUS_TEXT[status] ?? status;
    tile.badge.dataset.status = status;
    tile.root.dataset.status = status;
    if (tile.button) {
      tile.button.textContent = running(stream) ? `Stop ${tile.camera.name}` : `Start ${tile.camera.name}`;
      tile.button.disabled = false;
    }
    if (status === 'FAILED') {
      tile.note.textContent = `Stream failed${stream?.lastError ? `: ${stream.lastError}` : ''}.${this.canOperate ? ' Start it again to retry.' : ''}`;
    } else if (status === 'STOPPED') {
      tile.note.textContent = tile.camera.status === 'DECOMMISSIONED' ? '' : this.canOperate ? 'Not streaming. Press Start to watch.' : 'Not streaming.';
    } else if (status === 'RECONNECTING') {
      tile.note.textContent = `The camera dropped; reconnecting (restarts: ${stream?.restarts ?? 0}).`;
    } else if (status === 'STARTING') {
      tile.note.textContent = 'Waiting for the first video segment…';
    } else if (!tile.playingUrl) {
      tile.note.textContent = tile.visible ? '' : 'Live; video plays when the tile is on screen.';
    }
    this.refreshPlayer(tile);
  }

  private refreshPlayers(): void {
    for (const tile of this.tiles.values()) this.refreshPlayer(tile);
  }

  /**
   * Plays a tile's video only while it is on screen and the page visible; detaches it otherwise (the
   * media service stops a session nobody watches by itself, and another operator may be watching it,
   * so the page never stops a stream it did not get a click for). A wall starts the streams it shows.
   */
  private refreshPlayer(tile: Tile): void {
    const stream = tile.camera.liveStream;
    const status = stream?.status ?? 'STOPPED';
    const watchable = tile.visible && document.visibilityState === 'visible' && !this.mediaDown;
    const playable = stream && (status === 'LIVE' || status === 'RECONNECTING');
    tile.root.dataset.playing = String(tile.playingUrl !== undefined);
    tile.root.dataset.onScreen = String(tile.visible);
    if (watchable && playable && tile.playingUrl === undefined) this.play(tile, stream.hlsUrl);
    if ((!watchable || !running(stream)) && tile.playingUrl !== undefined) {
      tile.detach?.();
      tile.detach = undefined;
      tile.playingUrl = undefined;
      tile.root.dataset.playing = 'false';
    }
    const wall = store.state.cameras.layout !== 'cards';
    if (wall && watchable && this.canOperate && status === 'STOPPED' && !tile.wallStarted && tile.camera.status === 'ACTIVE') {
      tile.wallStarted = true;
      void this.toggle(tile);
    }
  }

  private play(tile: Tile, url: string): void {
    tile.playingUrl = url;
    tile.root.dataset.playing = 'true';
    tile.note.textContent = 'Loading video…';
    tile.detach = attachHls(tile.video, url, {
      onPlaying: () => {
        tile.note.textContent = '';
      },
      onFailed: (message, linkRefused) => {
        tile.playingUrl = undefined;
        tile.detach = undefined;
        tile.root.dataset.playing = 'false';
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
    const wasRunning = running(tile.camera.liveStream);
    tile.button.disabled = true;
    try {
      if (wasRunning) {
        const data = await execute<{ stopStream: StreamSession | null }>(STOP_STREAM, { cameraId: tile.camera.id });
        this.setStream(tile, data.stopStream ? { ...data.stopStream, status: 'STOPPED' } : null);
      } else {
        const data = await execute<{ startStream: StreamSession }>(START_STREAM, { cameraId: tile.camera.id });
        this.setStream(tile, data.startStream);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => void this.load(), 3000);
      }
    } catch (error) {
      tile.note.textContent = describeError(error, wasRunning ? 'stopping the stream' : 'starting the stream');
      tile.button.disabled = false;
    }
  }

  /** Keeps the camera list and the tile in step with a stream change this page made. */
  private setStream(tile: Tile, stream: StreamSession | null): void {
    const camera = this.cameras.find((c) => c.id === tile.camera.id);
    if (camera) camera.liveStream = stream && stream.status !== 'STOPPED' ? stream : null;
    this.applyStream(tile, stream);
  }
}
