import { ApiError, execute, request } from '../api/graphql';
import { ACKNOWLEDGE, type Connection, EVENT, EVENT_RECORDED, EVENTS, type FeedEvent, RESOLVE } from '../api/operations';
import { runEach } from '../api/pool';
import { subscribe } from '../api/subscriptions';
import { store } from '../state/store';
import { h, panel } from '../ui/dom';
import { describeError, setStatus, statusLine } from '../ui/messages';
import { formatWhen } from '../ui/time';
import { eventFilterOf } from './event-criteria';
import { EventFiltersView } from './event-filters';
import { type ClipSummary, clipBadge, FeedClipPlayer } from './feed-clip';

const PAGE_SIZE = 50;
const REFETCH_ATTEMPTS = 10;
const REFETCH_DELAY_MS = 200;
/** Commands in flight at once for a bulk action: quick, and well inside the per-user rate limit. */
const BULK_CONCURRENCY = 4;

export const STATUS_TEXT: Record<FeedEvent['status'], string> = { OPEN: 'Open', ACKNOWLEDGED: 'Acknowledged', RESOLVED: 'Resolved' };
const PAST_TENSE = { acknowledge: 'acknowledged', resolve: 'resolved' } as const;
const NOUN = { acknowledge: 'acknowledgement', resolve: 'resolution' } as const;
const VERB = { acknowledge: 'Acknowledge', resolve: 'Resolve' } as const;

export type Action = keyof typeof PAST_TENSE;

/** The events a recorder raises when its camera goes offline and comes back (source `media`). */
const HEALTH_EVENT_TYPES = new Set(['camera.offline', 'camera.online']);

const allowed = (event: FeedEvent, action: Action): boolean => (action === 'acknowledge' ? event.status === 'OPEN' : event.status !== 'RESOLVED');
export const labelOf = (event: FeedEvent): string => `${event.severity} ${event.type} on ${event.camera?.name ?? 'unknown camera'}`;

interface Rendered {
  signature: string;
  element: HTMLLIElement;
}

/**
 * The event feed: filtered (the filters are the address bar's), newest first, a page at a time.
 * Live events go on top while the operator is not reading further down; otherwise they wait behind
 * an "N new" marker so nothing moves under the reader. Operators select several events and
 * acknowledge or resolve them at once; each event says how its command went.
 */
export class EventFeedView {
  readonly root: HTMLElement;
  readonly filters = new EventFiltersView();
  private readonly list: HTMLOListElement;
  private readonly status: HTMLElement;
  private readonly newMarker: HTMLButtonElement;
  private readonly more: HTMLButtonElement;
  private readonly count: HTMLElement;
  private readonly bulkBar: HTMLElement;
  private readonly selectAll: HTMLInputElement;
  private readonly selectedCount: HTMLElement;
  private readonly bulkStatus: HTMLElement;
  private readonly bulkButtons: HTMLButtonElement[] = [];
  private readonly events = new Map<string, FeedEvent>();
  private order: string[] = [];
  private pending: FeedEvent[] = [];
  private readonly selected = new Set<string>();
  private readonly messages = new Map<string, { text: string; kind: 'error' | 'info' }>();
  private readonly rendered = new Map<string, Rendered>();
  /** Clip status by event id (null: not recorded), kept apart so an event re-read without it keeps it. */
  private readonly clips = new Map<string, ClipSummary | null>();
  /** Cameras that are recorded: a live event of one has a clip on the way (PENDING). */
  private recordedCameras = new Set<string>();
  private readonly clipPlayer = new FeedClipPlayer();
  private cursor: string | undefined;
  private total = 0;
  private endCursor: string | null = null;
  private hasMore = false;
  private generation = 0;
  private stopLive: (() => void) | undefined;
  private stopStore: (() => void) | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Opens an event's detail panel. */
  onOpen: (id: string) => void = () => undefined;
  /** A live `camera.offline` or `camera.online` event arrived. */
  onHealthEvent: () => void = () => undefined;
  /** An event changed here (acknowledged, resolved, refreshed): the detail panel follows. */
  onChanged: (event: FeedEvent) => void = () => undefined;

  constructor(private readonly canOperate: boolean) {
    this.status = statusLine();
    this.list = h('ol', { class: 'feed', id: 'event-feed', 'aria-label': 'Events, newest first' });
    this.newMarker = h('button', { type: 'button', class: 'new-marker', id: 'feed-new', hidden: true, onclick: () => this.showPending() });
    this.more = h('button', { type: 'button', class: 'quiet', id: 'feed-more', hidden: true, onclick: () => void this.loadMore() }, 'Load older events');
    this.count = h('p', { class: 'summary', id: 'feed-count' });
    this.selectAll = h('input', {
      type: 'checkbox',
      id: 'feed-select-all',
      onchange: () => {
        if (this.selectAll.checked) for (const id of this.order) this.selected.add(id);
        else this.selected.clear();
        this.render();
      },
    });
    this.selectedCount = h('span', { class: 'selected-count', 'aria-live': 'polite' });
    this.bulkStatus = h('p', { class: 'bulk-status', id: 'bulk-status', role: 'status' });
    for (const action of ['acknowledge', 'resolve'] as const) {
      this.bulkButtons.push(
        h(
          'button',
          { type: 'button', class: action === 'resolve' ? 'quiet' : '', 'data-bulk': action, disabled: true, onclick: () => void this.actOnSelection(action) },
          `${VERB[action]} selected`,
        ),
      );
    }
    this.bulkBar = h(
      'div',
      { class: 'bulk', role: 'group', 'aria-label': 'Selected events' },
      h('label', { class: 'check' }, this.selectAll, ' Select all shown'),
      this.selectedCount,
      ...this.bulkButtons,
    );
    this.root = panel(
      'events',
      'Live events',
      () => void this.load(),
      this.filters.root,
      this.status,
      this.count,
      this.canOperate ? this.bulkBar : null,
      this.canOperate ? this.bulkStatus : null,
      h('p', { class: 'help keys' }, 'Keys: j / k move, x selects, a acknowledges, r resolves, o opens, / searches, Esc closes.'),
      h('div', { class: 'new-slot', 'aria-live': 'polite' }, this.newMarker),
      this.list,
      this.more,
    );
    this.clipPlayer.onStatus = (id, clip) => {
      this.clips.set(id, clip);
      this.render();
    };
    this.list.addEventListener('scroll', () => {
      if (this.list.scrollTop <= 2 && this.pending.length > 0 && !this.reading()) this.showPending();
    });
  }

  start(): void {
    this.restart();
    this.stopStore = store.listen((state, previous) => {
      if (state.events !== previous.events) this.restart();
    });
  }

  stop(): void {
    this.stopLive?.();
    this.stopStore?.();
    this.filters.stop();
    this.clipPlayer.close();
    clearTimeout(this.retryTimer);
  }

  /** The cameras that record (the cameras panel knows them): their live events get a PENDING clip marker. */
  setRecordedCameras(ids: Iterable<string>): void {
    this.recordedCameras = new Set(ids);
  }

  /** New filters: a fresh first page and a live subscription with the same filter. */
  private restart(): void {
    this.stopLive?.();
    const generation = ++this.generation;
    void this.load();
    const filter = eventFilterOf(store.state.events);
    this.stopLive = subscribe<{ eventRecorded: FeedEvent }>(
      EVENT_RECORDED,
      { filter },
      ({ eventRecorded }) => {
        if (generation === this.generation) this.arrived(eventRecorded);
      },
      (error) => {
        if (generation === this.generation) setStatus(this.status, describeError(error, 'the live feed'), 'error');
      },
    );
  }

  async load(): Promise<void> {
    clearTimeout(this.retryTimer);
    const generation = this.generation;
    try {
      const page = await this.fetchPage(null);
      if (generation !== this.generation) return;
      this.events.clear();
      this.clips.clear();
      this.pending = [];
      for (const event of page.edges.map((e) => e.node)) this.keep(event);
      this.order = page.edges.map((e) => e.node.id);
      this.total = page.totalCount;
      this.endCursor = page.pageInfo.endCursor;
      this.hasMore = page.pageInfo.hasNextPage;
      for (const id of this.selected) if (!this.events.has(id)) this.selected.delete(id);
      if (this.cursor && !this.events.has(this.cursor)) this.cursor = undefined;
      setStatus(this.status, '');
      this.render();
    } catch (error) {
      if (generation !== this.generation) return;
      setStatus(this.status, describeError(error, 'recent events'), 'error');
      this.retryTimer = setTimeout(() => void this.load(), 5000);
    }
  }

  private async fetchPage(after: string | null): Promise<Connection<FeedEvent>> {
    const { data, errors } = await request<{ events: Connection<FeedEvent> }>(EVENTS, { filter: eventFilterOf(store.state.events), first: PAGE_SIZE, after });
    const first = errors[0];
    if (!data?.events) throw new ApiError(first?.message ?? 'The gateway returned no events.', String(first?.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
    return data.events;
  }

  private async loadMore(): Promise<void> {
    const generation = this.generation;
    this.more.disabled = true;
    try {
      const page = await this.fetchPage(this.endCursor);
      if (generation !== this.generation) return;
      for (const { node } of page.edges) {
        if (!this.events.has(node.id)) this.order.push(node.id);
        this.keep(node);
      }
      this.endCursor = page.pageInfo.endCursor;
      this.hasMore = page.pageInfo.hasNextPage;
      this.render();
    } catch (error) {
      setStatus(this.status, describeError(error, 'older events'), 'error');
    } finally {
      this.more.disabled = false;
    }
  }

  /** Holds an event of a page, and its clip status (a page says it; a live event does not). */
  private keep(event: FeedEvent): void {
    this.events.set(event.id, event);
    if (event.clip !== undefined) this.clips.set(event.id, event.clip);
    else if (!this.clips.has(event.id) && event.camera && this.recordedCameras.has(event.camera.id)) {
      this.clips.set(event.id, { status: 'PENDING', reason: null });
    }
  }

  /** Whether the operator is busy with the list: scrolled down (j/k scroll too) or selecting. */
  private reading(): boolean {
    return this.list.scrollTop > 2 || this.selected.size > 0;
  }

  private arrived(event: FeedEvent): void {
    if (HEALTH_EVENT_TYPES.has(event.type)) this.onHealthEvent();
    if (this.events.has(event.id)) {
      this.keep(event);
      this.render();
      return;
    }
    if (this.pending.some((p) => p.id === event.id)) return;
    this.total += 1;
    if (this.reading()) {
      this.pending.unshift(event);
      this.render();
    } else {
      this.keep(event);
      this.order.unshift(event.id);
      this.render();
    }
  }

  /** The "N new" marker: puts the waiting events on top and goes there. */
  private showPending(): void {
    for (const event of this.pending.reverse()) {
      if (this.events.has(event.id)) continue;
      this.keep(event);
      this.order.unshift(event.id);
    }
    this.pending = [];
    this.render();
    this.list.scrollTop = 0;
  }

  // --- keyboard (installed by main.ts) ---

  /** j / k: the next or previous event; the feed scrolls only as far as needed to show it. */
  moveCursor(step: 1 | -1): void {
    if (this.order.length === 0) return;
    const index = this.cursor ? this.order.indexOf(this.cursor) : -1;
    const next = index < 0 ? (step === 1 ? 0 : this.order.length - 1) : Math.min(Math.max(index + step, 0), this.order.length - 1);
    this.cursor = this.order[next];
    this.render();
    this.focusCursor();
  }

  /** a / r: the selected events, or else the one under the cursor. */
  actFromKeyboard(action: Action): void {
    if (!this.canOperate) {
      setStatus(
        this.status,
        `Your role does not allow ${action === 'acknowledge' ? 'acknowledging' : 'resolving'} events: it needs the operator role.`,
        'error',
      );
      return;
    }
    if (this.selected.size > 0) void this.actOnSelection(action);
    else if (this.cursor) {
      const event = this.events.get(this.cursor);
      if (event && allowed(event, action)) void this.act(event, action);
    }
  }

  toggleSelection(): void {
    if (!this.canOperate || !this.cursor) return;
    if (this.selected.has(this.cursor)) this.selected.delete(this.cursor);
    else this.selected.add(this.cursor);
    this.render();
    this.focusCursor();
  }

  openCursor(): void {
    if (this.cursor) this.onOpen(this.cursor);
  }

  focusCursor(): void {
    const element = this.cursor ? this.rendered.get(this.cursor)?.element : undefined;
    if (!element) return;
    element.focus({ preventScroll: true });
    element.scrollIntoView({ block: 'nearest' });
  }

  // --- rendering ---

  private render(): void {
    const focusInList = this.list.contains(document.activeElement);
    if (this.order.length === 0 && this.status.dataset.kind !== 'error') {
      setStatus(this.status, 'No events match these filters yet. New ones appear here as they are recorded.', 'empty');
    } else if (this.status.dataset.kind === 'empty') {
      setStatus(this.status, '');
    }
    const wanted: HTMLLIElement[] = [];
    const keep = new Set<string>();
    let replacedFocus = false;
    for (const id of this.order) {
      const event = this.events.get(id);
      if (!event) continue;
      keep.add(id);
      const message = this.messages.get(id);
      const clip = this.clips.get(id);
      const signature = `${event.status}|${event.version}|${message?.kind}|${message?.text}|${clip?.status}|${clip?.reason}`;
      let rendered = this.rendered.get(id);
      if (!rendered || rendered.signature !== signature) {
        const element = this.item(event);
        if (rendered) {
          if (rendered.element.contains(document.activeElement)) replacedFocus = true;
          rendered.element.replaceWith(element);
        }
        rendered = { signature, element };
        this.rendered.set(id, rendered);
      }
      wanted.push(rendered.element);
    }
    for (const [id, rendered] of this.rendered) {
      if (!keep.has(id)) {
        rendered.element.remove();
        this.rendered.delete(id);
      }
    }
    // Insert only what is new or moved: elements already in place stay, so the scroll position and
    // the focus stay with what the operator is reading.
    let at: ChildNode | null = this.list.firstChild;
    for (const element of wanted) {
      if (at === element) at = element.nextSibling;
      else this.list.insertBefore(element, at);
    }
    while (at) {
      const next: ChildNode | null = at.nextSibling;
      at.remove();
      at = next;
    }
    // Cursor and selection change in place: replacing an element under a click would swallow the click.
    wanted.forEach((element, index) => {
      const id = element.dataset.eventId ?? '';
      const isCursor = this.cursor ? this.cursor === id : index === 0;
      element.tabIndex = isCursor ? 0 : -1;
      element.classList.toggle('cursor', this.cursor === id);
      if (this.cursor === id) element.setAttribute('aria-current', 'true');
      else element.removeAttribute('aria-current');
      element.dataset.selected = String(this.selected.has(id));
      const box = element.querySelector<HTMLInputElement>('input.select');
      if (box) box.checked = this.selected.has(id);
    });
    this.placeClipPlayer(keep);
    if (replacedFocus || (focusInList && !this.list.contains(document.activeElement))) this.focusCursor();

    const shown = this.order.length;
    this.count.textContent = shown === 0 ? '' : `Showing ${shown} of ${Math.max(this.total, shown)} matching events, newest first.`;
    this.more.hidden = !this.hasMore;
    this.newMarker.hidden = this.pending.length === 0;
    this.newMarker.textContent = `${this.pending.length} new event${this.pending.length === 1 ? '' : 's'}: show`;
    this.newMarker.dataset.count = String(this.pending.length);
    const selected = [...this.selected].filter((id) => this.events.has(id));
    this.selectedCount.textContent = selected.length ? `${selected.length} selected` : 'None selected';
    this.selectAll.checked = selected.length > 0 && selected.length === shown;
    this.selectAll.indeterminate = selected.length > 0 && selected.length < shown;
    for (const button of this.bulkButtons) button.disabled = selected.length === 0;
  }

  /** The one inline player stays under its event (whose element a change replaces), or closes with it. */
  private placeClipPlayer(shown: ReadonlySet<string>): void {
    const id = this.clipPlayer.eventId;
    if (!id) return;
    const element = shown.has(id) ? this.rendered.get(id)?.element : undefined;
    if (!element) this.clipPlayer.close();
    else if (this.clipPlayer.root.parentElement !== element) element.append(this.clipPlayer.root);
  }

  private item(event: FeedEvent): HTMLLIElement {
    const label = labelOf(event);
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
    actions.append(h('button', { type: 'button', class: 'quiet', 'aria-label': `Details of ${label}`, onclick: () => this.open(event.id) }, 'Details'));
    const clip = clipBadge(event.id, this.clips.get(event.id), label, (id) => {
      this.cursor = id;
      this.clipPlayer.toggle(id);
      this.render();
    });
    if (clip) actions.append(clip);
    const checkbox = this.canOperate
      ? h('input', {
          type: 'checkbox',
          class: 'select',
          'aria-label': `Select ${label}`,
          onchange: (e: Event) => {
            if ((e.target as HTMLInputElement).checked) this.selected.add(event.id);
            else this.selected.delete(event.id);
            this.cursor = event.id;
            this.render();
          },
        })
      : null;
    return h(
      'li',
      {
        class: 'feed-item',
        'aria-label': `${label}, ${STATUS_TEXT[event.status]}`,
        'data-event-id': event.id,
        'data-status': event.status,
        'data-severity': event.severity,
        onfocusin: () => {
          if (this.cursor !== event.id) {
            this.cursor = event.id;
            this.render();
          }
        },
      },
      h(
        'div',
        { class: 'feed-main' },
        checkbox,
        h('span', { class: 'severity', 'data-severity': event.severity }, event.severity),
        h('strong', {}, event.type),
        h('span', {}, ` on ${event.camera?.name ?? 'unknown camera'}`),
      ),
      h(
        'div',
        { class: 'feed-meta' },
        h('time', { datetime: event.occurredAt, title: event.occurredAt }, formatWhen(event.occurredAt)),
        h('span', { class: 'event-status', 'data-status': event.status }, STATUS_TEXT[event.status]),
        event.camera?.site ? h('span', { class: 'event-site' }, event.camera.site) : null,
      ),
      actions,
      message ? h('p', { class: `feed-message ${message.kind}`, role: message.kind === 'error' ? 'alert' : 'status' }, message.text) : null,
    );
  }

  private open(id: string): void {
    this.cursor = id;
    this.render();
    this.onOpen(id);
  }

  /** Puts a changed event (from the detail panel) into the feed. */
  update(event: FeedEvent): void {
    if (!this.events.has(event.id)) return;
    this.events.set(event.id, { ...this.events.get(event.id), ...event });
    this.render();
  }

  // --- commands ---

  /** Acknowledges or resolves one event; returns whether it was applied. */
  async act(event: FeedEvent, action: Action, note?: string): Promise<boolean> {
    const ok = await this.command(event, action, note);
    this.render();
    return ok;
  }

  private async command(event: FeedEvent, action: Action, note?: string): Promise<boolean> {
    const mutation = action === 'acknowledge' ? ACKNOWLEDGE : RESOLVE;
    const field = action === 'acknowledge' ? 'acknowledgeEvent' : 'resolveEvent';
    try {
      const data = await execute<Record<string, { version: number }>>(mutation, { id: event.id, expectedVersion: event.version, note: note || undefined });
      const changed: FeedEvent = {
        ...event,
        status: action === 'acknowledge' ? 'ACKNOWLEDGED' : 'RESOLVED',
        version: data[field]?.version ?? event.version + 1,
      };
      this.events.set(event.id, changed);
      this.messages.set(event.id, { text: `You ${PAST_TENSE[action]} this event.`, kind: 'info' });
      this.onChanged(changed);
      return true;
    } catch (error) {
      this.messages.set(event.id, { text: await this.explain(event, action, error), kind: 'error' });
      return false;
    }
  }

  /** Bulk: one command per selected event, a few at a time; each event shows its own outcome. */
  private async actOnSelection(action: Action): Promise<void> {
    const chosen = [...this.selected].map((id) => this.events.get(id)).filter((e): e is FeedEvent => Boolean(e));
    const eligible = chosen.filter((e) => allowed(e, action));
    const skipped = chosen.length - eligible.length;
    if (chosen.length === 0) return;
    for (const button of this.bulkButtons) button.disabled = true;
    setStatus(this.bulkStatus, `${action === 'acknowledge' ? 'Acknowledging' : 'Resolving'} ${eligible.length} events…`);
    const outcomes = await runEach(eligible, BULK_CONCURRENCY, (event) => this.command(event, action));
    let applied = 0;
    outcomes.forEach((outcome, index) => {
      const event = eligible[index];
      if (outcome.ok && outcome.value && event) {
        applied += 1;
        this.selected.delete(event.id);
      }
    });
    for (const event of chosen) if (!allowed(event, action)) this.selected.delete(event.id);
    const failed = eligible.length - applied;
    const parts = [`${PAST_TENSE[action][0]?.toUpperCase()}${PAST_TENSE[action].slice(1)} ${applied} of ${chosen.length} selected events.`];
    if (failed) parts.push(`${failed} could not be ${PAST_TENSE[action]}: each stays selected and says why.`);
    if (skipped) parts.push(`${skipped} skipped: already ${action === 'acknowledge' ? 'acknowledged or resolved' : 'resolved'}.`);
    setStatus(this.bulkStatus, parts.join(' '), failed ? 'error' : 'info');
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
    const doing = `${action === 'acknowledge' ? 'acknowledging' : 'resolving'} this event`;
    if (!refusedByState) return describeError(error, doing);
    // The other operator's change may not be in the read model yet: wait (briefly) until it is.
    const actualVersion = error instanceof ApiError && typeof error.extensions.actualVersion === 'number' ? error.extensions.actualVersion : event.version + 1;
    const latest = await this.refetch(event.id, (e) => e.version >= actualVersion || e.status !== event.status);
    if (latest) {
      this.events.set(event.id, latest);
      this.onChanged(latest);
    }
    const now = latest?.status;
    if (now && now !== event.status) {
      const who = now === 'ACKNOWLEDGED' ? latest?.acknowledgedBy : latest?.resolvedBy;
      return `Someone else got there first: this event was already ${now.toLowerCase()}${who ? ` by ${who}` : ''}. Your ${NOUN[action]} was not applied; the event now shows its current state.`;
    }
    if (error instanceof ApiError && error.code === 'CONCURRENCY_CONFLICT') {
      return `This event changed while you were looking at it (another operator updated it). Nothing was changed by you; check it and try again.`;
    }
    return describeError(error, doing);
  }
}
