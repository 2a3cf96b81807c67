import { ApiError, execute, request } from '../api/graphql';
import { ACKNOWLEDGE, EVENT, EVENT_RECORDED, EVENTS, type FeedEvent, RESOLVE } from '../api/operations';
import { subscribe } from '../api/subscriptions';
import { fill, formatTime, h, panel } from '../ui/dom';
import { describeError, setStatus, statusLine } from '../ui/messages';

const FEED_SIZE = 50;
const REFETCH_ATTEMPTS = 10;
const REFETCH_DELAY_MS = 200;

const STATUS_TEXT: Record<FeedEvent['status'], string> = { OPEN: 'Open', ACKNOWLEDGED: 'Acknowledged', RESOLVED: 'Resolved' };
const PAST_TENSE = { acknowledge: 'acknowledged', resolve: 'resolved' } as const;
const NOUN = { acknowledge: 'acknowledgement', resolve: 'resolution' } as const;

type Action = keyof typeof PAST_TENSE;

/** The live event feed: newest first, acknowledge / resolve for operators, conflicts explained. */
export class EventFeedView {
  readonly root: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly status: HTMLElement;
  private readonly events = new Map<string, FeedEvent>();
  private readonly messages = new Map<string, { text: string; kind: 'error' | 'info' }>();
  private stopLive: (() => void) | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly canOperate: boolean) {
    this.status = statusLine();
    this.list = h('ol', { class: 'feed', id: 'event-feed', 'aria-live': 'polite', 'aria-relevant': 'additions' });
    this.root = panel('events', 'Live events', () => void this.load(), this.status, this.list);
  }

  start(): void {
    void this.load();
    this.stopLive = subscribe<{ eventRecorded: FeedEvent }>(
      EVENT_RECORDED,
      {},
      ({ eventRecorded }) => {
        this.events.set(eventRecorded.id, eventRecorded);
        this.render();
      },
      (error) => setStatus(this.status, describeError(error, 'the live feed'), 'error'),
    );
  }

  stop(): void {
    this.stopLive?.();
    clearTimeout(this.retryTimer);
  }

  async load(): Promise<void> {
    clearTimeout(this.retryTimer);
    try {
      const { data, errors } = await request<{ events: { edges: Array<{ node: FeedEvent }> } }>(EVENTS, { first: FEED_SIZE });
      const first = errors[0];
      if (!data?.events && first) throw new ApiError(first.message, String(first.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
      for (const edge of data?.events.edges ?? []) this.events.set(edge.node.id, edge.node);
      setStatus(this.status, '');
      this.render();
    } catch (error) {
      setStatus(this.status, describeError(error, 'recent events'), 'error');
      this.retryTimer = setTimeout(() => void this.load(), 5000);
    }
  }

  private sorted(): FeedEvent[] {
    return [...this.events.values()].sort((a, b) => b.recordedAt.localeCompare(a.recordedAt)).slice(0, FEED_SIZE);
  }

  private render(): void {
    const events = this.sorted();
    // Forget what fell off the end so the map stays bounded.
    const kept = new Set(events.map((e) => e.id));
    for (const id of this.events.keys()) if (!kept.has(id)) this.events.delete(id);
    if (events.length === 0 && this.status.dataset.kind !== 'error') {
      setStatus(this.status, 'No events yet. New events appear here as they are recorded.', 'empty');
    } else if (this.status.dataset.kind === 'empty') {
      setStatus(this.status, '');
    }
    fill(this.list, ...events.map((event) => this.item(event)));
  }

  private item(event: FeedEvent): HTMLLIElement {
    const cameraName = event.camera?.name ?? 'unknown camera';
    const label = `${event.severity} ${event.type} on ${cameraName}`;
    const message = this.messages.get(event.id);
    const actions = h('div', { class: 'actions' });
    if (this.canOperate && event.status === 'OPEN') {
      actions.append(h('button', { type: 'button', 'aria-label': `Acknowledge ${label}`, onclick: () => void this.act(event, 'acknowledge') }, 'Acknowledge'));
    }
    if (this.canOperate && event.status !== 'RESOLVED') {
      actions.append(
        h('button', { type: 'button', class: 'quiet', 'aria-label': `Resolve ${label}`, onclick: () => void this.act(event, 'resolve') }, 'Resolve'),
      );
    }
    return h(
      'li',
      { class: 'feed-item', 'data-event-id': event.id, 'data-status': event.status, 'data-severity': event.severity },
      h(
        'div',
        { class: 'feed-main' },
        h('span', { class: 'severity', 'data-severity': event.severity }, event.severity),
        h('strong', {}, event.type),
        h('span', {}, ` on ${cameraName}`),
      ),
      h(
        'div',
        { class: 'feed-meta' },
        h('time', { datetime: event.occurredAt }, formatTime(event.occurredAt)),
        h('span', { class: 'event-status', 'data-status': event.status }, STATUS_TEXT[event.status]),
      ),
      actions.childElementCount ? actions : null,
      message ? h('p', { class: `feed-message ${message.kind}`, role: message.kind === 'error' ? 'alert' : 'status' }, message.text) : null,
    );
  }

  private async act(event: FeedEvent, action: Action): Promise<void> {
    const mutation = action === 'acknowledge' ? ACKNOWLEDGE : RESOLVE;
    const field = action === 'acknowledge' ? 'acknowledgeEvent' : 'resolveEvent';
    try {
      const data = await execute<Record<string, { version: number }>>(mutation, { id: event.id, expectedVersion: event.version });
      const result = data[field];
      this.events.set(event.id, { ...event, status: action === 'acknowledge' ? 'ACKNOWLEDGED' : 'RESOLVED', version: result?.version ?? event.version + 1 });
      this.messages.set(event.id, { text: `You ${PAST_TENSE[action]} this event.`, kind: 'info' });
    } catch (error) {
      this.messages.set(event.id, { text: await this.explain(event, action, error), kind: 'error' });
    }
    this.render();
  }

  private async refetch(id: string, isFresh: (event: FeedEvent) => boolean): Promise<FeedEvent | null> {
    let latest: FeedEvent | null = null;
    for (let attempt = 0; attempt < REFETCH_ATTEMPTS; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, REFETCH_DELAY_MS));
      try {
        const { data } = await request<{ event: FeedEvent | null }>(EVENT, { id });
        latest = data?.event ?? latest;
      } catch {
        return latest; // the explanation still holds without the refreshed state
      }
      if (latest && isFresh(latest)) break;
    }
    return latest;
  }

  /** Explains a refused action in words; on a conflict, refreshes the event so the page shows what won. */
  private async explain(event: FeedEvent, action: Action, error: unknown): Promise<string> {
    const refusedByState =
      error instanceof ApiError && (error.code === 'CONCURRENCY_CONFLICT' || error.code === 'BAD_USER_INPUT' || error.code === 'FAILED_PRECONDITION');
    if (!refusedByState) return describeError(error, `${action === 'acknowledge' ? 'acknowledging' : 'resolving'} this event`);
    // The other operator's change may not be in the read model yet: wait (briefly) until it is.
    const actualVersion = error instanceof ApiError && typeof error.extensions.actualVersion === 'number' ? error.extensions.actualVersion : event.version + 1;
    const latest = await this.refetch(event.id, (e) => e.version >= actualVersion || e.status !== event.status);
    if (latest) this.events.set(event.id, latest);
    const now = latest?.status;
    if (now && now !== event.status) {
      const who = now === 'ACKNOWLEDGED' ? latest?.acknowledgedBy : latest?.resolvedBy;
      return `Someone else got there first: this event was already ${now.toLowerCase()}${who ? ` by ${who}` : ''}. Your ${NOUN[action]} was not applied; the event now shows its current state.`;
    }
    if (error instanceof ApiError && error.code === 'CONCURRENCY_CONFLICT') {
      return `This event changed while you were looking at it (another operator updated it). Nothing was changed by you; check it and try again.`;
    }
    return describeError(error, `${action === 'acknowledge' ? 'acknowledging' : 'resolving'} this event`);
  }
}
