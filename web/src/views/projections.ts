import { ApiError, codeOf, execute, request } from '../api/graphql';
import { PROJECTIONS, type ProjectionStatus, REBUILD } from '../api/operations';
import { fill, h, panel } from '../ui/dom';
import { describeError, setStatus, statusLine } from '../ui/messages';

const FAST_POLL_MS = 1000;
const SLOW_POLL_MS = 5000;

/** Projection health (state, lag) and, for admins, a rebuild button with progress. */
export class ProjectionsView {
  readonly root: HTMLElement;
  private readonly status: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly notes = new Map<string, string>();

  constructor(private readonly canRebuild: boolean) {
    this.status = statusLine();
    this.body = h('tbody');
    this.root = panel(
      'projections',
      'Projections',
      () => void this.poll(),
      this.status,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { id: 'projections-table' },
          h('caption', { class: 'visually-hidden' }, 'Read model projections: state, lag behind the event store, rebuild progress'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Name'),
              h('th', { scope: 'col' }, 'State'),
              h('th', { scope: 'col' }, 'Lag'),
              h('th', { scope: 'col' }, 'Position'),
              h('th', { scope: 'col' }, canRebuild ? 'Rebuild' : 'Progress'),
            ),
          ),
          this.body,
        ),
      ),
    );
  }

  start(): void {
    this.stopped = false;
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    clearTimeout(this.timer);
    let rebuilding = false;
    try {
      const { data, errors } = await request<{ projections: ProjectionStatus[] }>(PROJECTIONS);
      const first = errors[0];
      if (!data?.projections) throw new ApiError(first?.message ?? 'The gateway returned no projections.', first ? codeOf(first) : 'INTERNAL_SERVER_ERROR');
      rebuilding = data.projections.some((p) => p.state === 'REBUILDING' || p.rebuildProgress !== null);
      setStatus(this.status, data.projections.length === 0 ? 'No projections are reported yet.' : '', data.projections.length === 0 ? 'empty' : 'info');
      this.render(data.projections);
    } catch (error) {
      setStatus(this.status, describeError(error, 'projection status'), 'error');
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.poll(), rebuilding ? FAST_POLL_MS : SLOW_POLL_MS);
  }

  private render(projections: ProjectionStatus[]): void {
    fill(
      this.body,
      ...projections.map((p) => {
        const progress = p.rebuildProgress === null ? null : Math.round(p.rebuildProgress * 100);
        const progressBar = progress === null ? null : h('progress', { max: 100, value: progress, 'aria-label': `Rebuild of ${p.name}: ${progress}%` });
        const cell = h('td', { class: 'rebuild-cell' }, progressBar, progress === null ? null : ` ${progress}%`);
        if (this.canRebuild) {
          cell.prepend(
            h(
              'button',
              { type: 'button', disabled: p.state === 'REBUILDING', 'aria-label': `Rebuild ${p.name}`, onclick: () => void this.rebuild(p.name) },
              p.state === 'REBUILDING' ? 'Rebuilding…' : 'Rebuild',
            ),
          );
        }
        const note = this.notes.get(p.name) ?? p.lastError;
        if (note) cell.append(h('span', { class: 'cell-note' }, note));
        return h(
          'tr',
          { 'data-projection': p.name, 'data-state': p.state },
          h('th', { scope: 'row' }, p.name, h('span', { class: 'cell-sub' }, p.index)),
          h('td', {}, h('span', { class: 'badge', 'data-status': p.state }, p.state.replace('_', ' ').toLowerCase())),
          h('td', {}, p.lag === 0 ? 'up to date' : `${p.lag} events behind`),
          h('td', {}, `${p.position} / ${p.headPosition}`),
          cell,
        );
      }),
    );
  }

  private async rebuild(name: string): Promise<void> {
    if (!confirm(`Rebuild the projection "${name}" from the event store? Reads keep working during the rebuild.`)) return;
    try {
      await execute(REBUILD, { name });
      this.notes.delete(name);
    } catch (error) {
      this.notes.set(name, describeError(error, `the rebuild of ${name}`));
    }
    void this.poll();
  }
}
