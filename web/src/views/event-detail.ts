import { ApiError, codeOf, execute, request } from '../api/graphql';
import { CAMERA_STREAM_CHANGED, type EventDetail, EVENT_DETAIL, type FeedEvent, START_STREAM, type StreamSession } from '../api/operations';
import { subscribe } from '../api/subscriptions';
import { fill, h } from '../ui/dom';
import { describeError, setStatus, statusLine } from '../ui/messages';
import { formatWhen } from '../ui/time';
import { type Action, labelOf, STATUS_TEXT } from './event-feed';
import { clipView } from './clip-view';
import { attachHls } from './video-player';

const REFRESH_ATTEMPTS = 10;
const REFRESH_DELAY_MS = 200;

const valueText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * One event in full beside the feed: its attributes, its history (recorded, acknowledged, resolved:
 * when, by whom, with which note), its camera's live view and its recorded clip.
 */
export class EventDetailView {
  readonly root: HTMLElement;
  private readonly heading: HTMLHeadingElement;
  private readonly status: HTMLElement;
  private readonly body: HTMLElement;
  private event: EventDetail | undefined;
  private id = '';
  private generation = 0;
  private detachVideo: (() => void) | undefined;
  private stopStream: (() => void) | undefined;
  /** Runs the command through the feed, which explains conflicts; resolves to whether it applied. */
  onAct: (event: FeedEvent, action: Action, note: string) => Promise<boolean> = async () => false;
  onClose: () => void = () => undefined;

  constructor(private readonly canOperate: boolean) {
    this.heading = h('h2', { id: 'event-detail-title', tabindex: -1 }, 'Event');
    this.status = statusLine();
    setStatus(this.status, ''); // closed until an event is opened
    this.body = h('div', { class: 'detail-body' });
    this.root = h(
      'aside',
      { class: 'panel detail', id: 'event-detail', 'aria-labelledby': 'event-detail-title', hidden: true },
      h(
        'div',
        { class: 'panel-head' },
        this.heading,
        h('button', { type: 'button', class: 'quiet', id: 'event-detail-close', onclick: () => this.onClose() }, 'Close details'),
      ),
      this.status,
      this.body,
    );
  }

  get openId(): string {
    return this.id;
  }

  /** Shows an event ('' hides the panel). */
  show(id: string): void {
    if (id === this.id) return;
    this.teardown();
    this.id = id;
    this.event = undefined;
    this.root.hidden = !id;
    if (!id) return;
    this.heading.textContent = 'Event';
    fill(this.body);
    setStatus(this.status, 'Loading…', 'empty');
    void this.load(0);
    this.heading.focus();
  }

  /** The feed changed this event: read it again (the read model may be a moment behind). */
  changed(event: FeedEvent): void {
    if (event.id === this.id) void this.load(event.version);
  }

  stop(): void {
    this.teardown();
  }

  private teardown(): void {
    this.generation += 1;
    this.detachVideo?.();
    this.detachVideo = undefined;
    this.stopStream?.();
    this.stopStream = undefined;
  }

  private async load(minVersion: number): Promise<void> {
    const generation = this.generation;
    const id = this.id;
    for (let attempt = 0; attempt < REFRESH_ATTEMPTS; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, REFRESH_DELAY_MS));
      try {
        const { data, errors } = await request<{ event: EventDetail | null }>(EVENT_DETAIL, { id });
        if (generation !== this.generation) return;
        const event = data?.event;
        if (!event) {
          const first = errors[0];
          setStatus(
            this.status,
            first
              ? describeError(new ApiError(first.message, codeOf(first)), 'this event')
              : `No event has the id ${id}: it may have been mistyped in the link.`,
            'error',
          );
          this.heading.textContent = 'Event not found';
          return;
        }
        if (event.version < minVersion && attempt < REFRESH_ATTEMPTS - 1) continue;
        setStatus(this.status, '');
        this.render(event);
        return;
      } catch (error) {
        if (generation !== this.generation) return;
        setStatus(this.status, describeError(error, 'this event'), 'error');
        return;
      }
    }
  }

  private render(event: EventDetail): void {
    const firstRender = this.event?.id !== event.id;
    this.event = event;
    this.heading.textContent = labelOf(event);
    this.root.dataset.status = event.status;
    this.root.dataset.eventId = event.id;
    const when = (iso: string | null) => (iso ? h('time', { datetime: iso, title: iso }, formatWhen(iso)) : null);
    const row = (term: string, ...value: Array<Node | string | null>) => h('div', {}, h('dt', {}, term), h('dd', {}, ...value));
    const attributes = Object.entries(event.attributes ?? {});
    const history = h(
      'ol',
      { class: 'history', id: 'event-history' },
      h('li', { 'data-step': 'recorded' }, 'Recorded ', when(event.recordedAt), ` (source ${event.source}; occurred `, when(event.occurredAt), ')'),
      event.acknowledgedAt || event.acknowledgedBy
        ? h(
            'li',
            { 'data-step': 'acknowledged' },
            'Acknowledged ',
            when(event.acknowledgedAt),
            ` by ${event.acknowledgedBy ?? 'unknown'}`,
            event.acknowledgeNote ? `: “${event.acknowledgeNote}”` : '',
          )
        : h('li', { class: 'pending-step' }, 'Not acknowledged yet'),
      event.resolvedAt || event.resolvedBy
        ? h(
            'li',
            { 'data-step': 'resolved' },
            'Resolved ',
            when(event.resolvedAt),
            ` by ${event.resolvedBy ?? 'unknown'}`,
            event.resolveNote ? `: “${event.resolveNote}”` : '',
          )
        : h('li', { class: 'pending-step' }, 'Not resolved yet'),
    );
    const parts: Array<Node | null> = [
      h(
        'dl',
        { class: 'facts' },
        row('Status', h('span', { class: 'event-status', 'data-status': event.status }, STATUS_TEXT[event.status])),
        row('Severity', event.severity),
        row('Type', event.type),
        row('Camera', event.camera ? `${event.camera.name}${event.camera.site ? ` · ${event.camera.site}` : ''}` : 'unknown camera'),
        row('Occurred', when(event.occurredAt)),
        row('Event id', h('code', {}, event.id)),
      ),
      h('h3', {}, 'Attributes'),
      attributes.length
        ? h('dl', { class: 'facts', id: 'event-attributes' }, ...attributes.map(([key, value]) => row(key, valueText(value))))
        : h('p', { class: 'help' }, 'No attributes.'),
      h('h3', {}, 'History'),
      history,
    ];
    if (this.canOperate && event.status !== 'RESOLVED') parts.push(this.actions(event));
    if (firstRender || !this.root.querySelector('.live-view')) parts.push(this.liveView(event));
    else parts.push(this.root.querySelector('.live-view'));
    parts.push(h('h3', {}, 'Clip'), clipView(event.id, event.clip));
    fill(this.body, ...parts);
  }

  private actions(event: EventDetail): HTMLElement {
    const note = h('textarea', { id: 'event-note', rows: 2, maxlength: 1000 });
    const message = h('p', { class: 'feed-message', role: 'status' });
    const run = async (action: Action) => {
      for (const button of buttons) button.disabled = true;
      const ok = await this.onAct(event, action, note.value.trim());
      if (!ok) {
        message.textContent = `Your ${action === 'acknowledge' ? 'acknowledgement' : 'resolution'} was not applied: the feed says why.`;
        for (const button of buttons) button.disabled = false;
      }
    };
    const buttons: HTMLButtonElement[] = [];
    if (event.status === 'OPEN') buttons.push(h('button', { type: 'button', onclick: () => void run('acknowledge') }, 'Acknowledge this event'));
    buttons.push(h('button', { type: 'button', class: 'quiet', onclick: () => void run('resolve') }, 'Resolve this event'));
    return h(
      'div',
      { class: 'detail-actions' },
      h('div', { class: 'field' }, h('label', { for: 'event-note' }, 'Note (optional, kept with your action)'), note),
      h('div', { class: 'actions' }, ...buttons),
      message,
    );
  }

  /** The camera's live view: plays a running stream; an operator may start one. */
  private liveView(event: EventDetail): HTMLElement {
    const camera = event.camera;
    const video = h('video', { muted: true, playsinline: true, 'aria-label': `Live view of ${camera?.name ?? 'the camera'}` });
    const note = h('p', { class: 'tile-note', role: 'status' });
    const root = h('section', { class: 'live-view', 'aria-label': 'Live view' }, h('h3', {}, 'Live view'), h('div', { class: 'tile-video' }, video), note);
    if (!camera) {
      note.textContent = 'This event has no camera.';
      return root;
    }
    const generation = this.generation;
    let button: HTMLButtonElement | undefined;
    const show = (stream: StreamSession | null) => {
      if (generation !== this.generation) return;
      const status = stream?.status ?? 'STOPPED';
      root.dataset.status = status;
      if ((status === 'LIVE' || status === 'RECONNECTING') && stream && !this.detachVideo) {
        note.textContent = 'Loading video…';
        this.detachVideo = attachHls(video, stream.hlsUrl, {
          onPlaying: () => {
            note.textContent = '';
          },
          onFailed: (message) => {
            this.detachVideo = undefined;
            note.textContent = message;
          },
        });
      } else if (status === 'STARTING') {
        note.textContent = 'Starting the stream…';
      } else if (status === 'STOPPED' || status === 'FAILED') {
        this.detachVideo?.();
        this.detachVideo = undefined;
        note.textContent = status === 'FAILED' ? `The stream failed${stream?.lastError ? `: ${stream.lastError}` : ''}.` : 'The camera is not streaming.';
        if (this.canOperate && !button) {
          button = h(
            'button',
            {
              type: 'button',
              onclick: async () => {
                const pressed = button;
                if (!pressed) return;
                pressed.disabled = true;
                try {
                  const data = await execute<{ startStream: StreamSession }>(START_STREAM, { cameraId: camera.id });
                  pressed.remove();
                  button = undefined;
                  show(data.startStream);
                } catch (error) {
                  note.textContent = describeError(error, 'starting the stream');
                  pressed.disabled = false;
                }
              },
            },
            `Start stream of ${camera.name}`,
          );
          root.append(button);
        }
      }
    };
    show(camera.liveStream);
    this.stopStream = subscribe<{ streamStatusChanged: StreamSession }>(
      CAMERA_STREAM_CHANGED,
      { cameraId: camera.id },
      ({ streamStatusChanged }) => show(streamStatusChanged),
      () => undefined,
    );
    return root;
  }
}
