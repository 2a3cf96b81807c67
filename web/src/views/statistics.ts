import { ApiError, codeOf, request } from '../api/graphql';
import { EVENT_STATS, EVENT_STATS_UPDATED, type EventFilter, type EventStats, type Interval, SEVERITIES } from '../api/operations';
import { store } from '../state/store';
import { describeCriteria, eventFilterOf } from './event-criteria';
import { subscribe } from '../api/subscriptions';
import { fill, formatDuration, h, panel } from '../ui/dom';
import { describeError, setStatus, statusLine } from '../ui/messages';
import { StatChart } from './charts';

interface Range {
  label: string;
  ms: number;
  interval: Interval;
}

const RANGES: Record<string, Range> = {
  '1h': { label: 'Last hour, per minute', ms: 3600e3, interval: 'MINUTE' },
  '24h': { label: 'Last 24 h, per hour', ms: 24 * 3600e3, interval: 'HOUR' },
  '7d': { label: 'Last 7 days, per day', ms: 7 * 24 * 3600e3, interval: 'DAY' },
  '30d': { label: 'Last 30 days, per day', ms: 30 * 24 * 3600e3, interval: 'DAY' },
};

const SLIDE_MS: Record<Interval, number> = { MINUTE: 60e3, HOUR: 600e3, DAY: 3600e3 };

function bucketLabel(iso: string, interval: Interval): string {
  const date = new Date(iso);
  if (interval === 'DAY') return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** Statistics for a chosen range and filters, kept live through eventStatsUpdated. */
export class StatisticsView {
  readonly root: HTMLElement;
  private readonly status: HTMLElement;
  private readonly figures: HTMLElement;
  private readonly range: HTMLSelectElement;
  private readonly scope: HTMLElement;
  private stopStore: (() => void) | undefined;
  /** The event types counted, offered to the type filter. */
  onTypes: (types: string[]) => void = () => undefined;
  private readonly charts = {
    histogram: new StatChart('histogram', 'Events over time', 'bar'),
    byType: new StatChart('by-type', 'Events by type', 'bar', { horizontal: true }),
    bySeverity: new StatChart('by-severity', 'Events by severity', 'bar', { colourBySeverity: true }),
    topCameras: new StatChart('top-cameras', 'Top cameras', 'bar', { horizontal: true }),
  };
  private cameraNames = new Map<string, string>();
  private stopLive: (() => void) | undefined;
  private generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private slideTimer: ReturnType<typeof setTimeout> | undefined;
  private last: EventStats | undefined;

  constructor() {
    this.status = statusLine();
    this.figures = h('dl', { class: 'figures', id: 'stat-figures' });
    this.range = h(
      'select',
      { id: 'stats-range', onchange: () => this.restart() },
      ...Object.entries(RANGES).map(([value, r]) => h('option', { value }, r.label)),
    );
    this.range.value = '24h';
    this.scope = h('p', { class: 'help', id: 'stats-scope' });
    const field = (id: string, text: string, control: HTMLElement) => h('div', { class: 'field' }, h('label', { for: id }, text), control);
    this.root = panel(
      'statistics',
      'Statistics',
      undefined,
      h('div', { class: 'filters', role: 'group', 'aria-label': 'Statistics range' }, field('stats-range', 'Range', this.range)),
      this.scope,
      this.status,
      this.figures,
      h('div', { class: 'charts' }, ...Object.values(this.charts).map((c) => c.root)),
    );
  }

  start(): void {
    this.restart();
    // The event filters drive the statistics too.
    this.stopStore = store.listen((state, previous) => {
      if (state.events !== previous.events) this.restart();
    });
  }

  stop(): void {
    this.stopStore?.();
    this.stopLive?.();
    clearTimeout(this.retryTimer);
    clearTimeout(this.slideTimer);
    for (const chart of Object.values(this.charts)) chart.destroy();
  }

  setCameras(cameras: Array<{ id: string; name: string }>): void {
    this.cameraNames = new Map(cameras.map((c) => [c.id, c.name]));
    this.showScope();
    if (this.last) this.show(this.last);
  }

  private filter(): { filter: EventFilter; interval: Interval } {
    const range = RANGES[this.range.value] ?? RANGES['24h']!;
    // An open end ("to" unset) so live updates keep counting new events.
    const filter: EventFilter = { ...eventFilterOf(store.state.events), from: new Date(Date.now() - range.ms).toISOString() };
    return { filter, interval: range.interval };
  }

  private restart(): void {
    this.stopLive?.();
    clearTimeout(this.retryTimer);
    clearTimeout(this.slideTimer);
    const generation = ++this.generation;
    const variables = this.filter();
    this.showScope();
    // The range's start is fixed per subscription: move the window on by one bucket now and then.
    this.slideTimer = setTimeout(() => this.restart(), SLIDE_MS[variables.interval]);
    void this.load(generation, variables);
    this.stopLive = subscribe<{ eventStatsUpdated: EventStats }>(
      EVENT_STATS_UPDATED,
      { filter: variables.filter, interval: variables.interval },
      ({ eventStatsUpdated }) => {
        if (generation !== this.generation) return;
        setStatus(this.status, '');
        this.show(eventStatsUpdated);
      },
      (error) => {
        if (generation === this.generation) setStatus(this.status, describeError(error, 'live statistics'), 'error');
      },
    );
  }

  private async load(generation: number, variables: { filter: EventFilter; interval: Interval }): Promise<void> {
    try {
      const { data, errors } = await request<{ eventStats: EventStats }>(EVENT_STATS, { ...variables });
      if (generation !== this.generation) return;
      const first = errors[0];
      if (!data?.eventStats) throw new ApiError(first?.message ?? 'The gateway returned no statistics.', first ? codeOf(first) : 'INTERNAL_SERVER_ERROR');
      setStatus(
        this.status,
        data.eventStats.total === 0 ? 'No events match this range and these filters yet.' : '',
        data.eventStats.total === 0 ? 'empty' : 'info',
      );
      this.show(data.eventStats);
    } catch (error) {
      if (generation !== this.generation) return;
      setStatus(this.status, describeError(error, 'the statistics'), 'error');
      this.retryTimer = setTimeout(() => void this.load(generation, variables), 5000);
    }
  }

  private showScope(): void {
    this.scope.textContent = `Counting what the event filters select: ${describeCriteria(store.state.events, (id) => this.cameraNames.get(id) ?? id)}`;
  }

  private show(stats: EventStats): void {
    this.last = stats;
    const interval = this.filter().interval;
    this.figures.dataset.total = String(stats.total);
    fill(
      this.figures,
      h('div', {}, h('dt', {}, 'Events'), h('dd', { id: 'stat-total' }, String(stats.total))),
      h('div', {}, h('dt', {}, 'Mean time to acknowledge'), h('dd', { id: 'stat-mtta' }, formatDuration(stats.meanTimeToAcknowledgeSeconds))),
      h('div', {}, h('dt', {}, 'Mean time to resolve'), h('dd', { id: 'stat-mttr' }, formatDuration(stats.meanTimeToResolveSeconds))),
      ...(['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const).map((status) =>
        h(
          'div',
          {},
          h('dt', {}, status === 'OPEN' ? 'Open' : status === 'ACKNOWLEDGED' ? 'Acknowledged' : 'Resolved'),
          h('dd', { id: `stat-${status.toLowerCase()}` }, String((stats.byStatus ?? []).find((b) => b.key === status)?.count ?? 0)),
        ),
      ),
    );
    this.onTypes(stats.byType.map((b) => b.key));
    if (stats.total > 0 && this.status.dataset.kind === 'empty') setStatus(this.status, '');
    this.charts.histogram.update({ labels: stats.histogram.map((b) => bucketLabel(b.start, interval)), values: stats.histogram.map((b) => b.count) });
    this.charts.byType.update({ labels: stats.byType.map((b) => b.key), values: stats.byType.map((b) => b.count) });
    const bySeverity = new Map(stats.bySeverity.map((b) => [b.key, b.count]));
    this.charts.bySeverity.update({ labels: [...SEVERITIES], values: SEVERITIES.map((s) => bySeverity.get(s) ?? 0) });
    this.charts.topCameras.update({ labels: stats.topCameras.map((b) => this.cameraNames.get(b.key) ?? b.key), values: stats.topCameras.map((b) => b.count) });
  }
}
