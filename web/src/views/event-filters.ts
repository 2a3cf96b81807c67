import { type Camera, type EventStatus, SEVERITIES, type Severity } from '../api/operations';
import type { EventCriteria } from '../state/dashboard-state';
import { store } from '../state/store';
import { h } from '../ui/dom';
import { field, select, setOptions } from '../ui/fields';
import { sitesOf } from './camera-list';

const SEARCH_PAUSE_MS = 300;

/**
 * The event filters (severity, status, site, camera, type, text). They live in the address bar, and
 * the feed and the statistics both follow them.
 */
export class EventFiltersView {
  readonly root: HTMLElement;
  private readonly severity: HTMLSelectElement;
  private readonly status: HTMLSelectElement;
  private readonly site: HTMLSelectElement;
  private readonly camera: HTMLSelectElement;
  private readonly type: HTMLInputElement;
  private readonly types: HTMLDataListElement;
  private readonly search: HTMLInputElement;
  private cameras: Camera[] = [];
  private readonly knownTypes = new Set<string>();
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly stopStore: () => void;

  constructor() {
    const criteria = store.state.events;
    const set = (change: Partial<EventCriteria>) => store.update((s) => ({ ...s, events: { ...s.events, ...change } }));
    this.severity = select(
      { id: 'event-severity', onchange: () => set({ severity: this.severity.value as Severity | '' }) },
      [['', 'All severities'], ...SEVERITIES.map((s) => [s, s] as const)],
      criteria.severity,
    );
    this.status = select(
      { id: 'event-status', onchange: () => set({ status: this.status.value as EventStatus | '' }) },
      [
        ['', 'Any status'],
        ['OPEN', 'Open'],
        ['ACKNOWLEDGED', 'Acknowledged'],
        ['RESOLVED', 'Resolved'],
      ],
      criteria.status,
    );
    this.site = select(
      {
        id: 'event-site',
        onchange: () => {
          const camera = this.cameras.find((c) => c.id === store.state.events.camera);
          // A camera of another site would leave nothing to show.
          set({ site: this.site.value, ...(camera && this.site.value && camera.site !== this.site.value ? { camera: '' } : {}) });
        },
      },
      // Until the cameras arrive, the options a link asked for are offered as they are.
      [['', 'All sites'], ...(criteria.site ? [[criteria.site, criteria.site] as const] : [])],
      criteria.site,
    );
    this.camera = select(
      { id: 'event-camera', onchange: () => set({ camera: this.camera.value }) },
      [['', 'All cameras'], ...(criteria.camera ? [[criteria.camera, criteria.camera] as const] : [])],
      criteria.camera,
    );
    this.types = h('datalist', { id: 'event-types' });
    this.type = h('input', {
      id: 'event-type',
      type: 'text',
      list: 'event-types',
      placeholder: 'any type',
      autocomplete: 'off',
      onchange: () => set({ type: this.type.value.trim() }),
    });
    this.type.value = criteria.type;
    this.search = h('input', {
      id: 'event-search',
      type: 'search',
      placeholder: 'Type, attributes, notes, id',
      autocomplete: 'off',
      oninput: () => {
        clearTimeout(this.searchTimer);
        this.searchTimer = setTimeout(() => set({ text: this.search.value.trim() }), SEARCH_PAUSE_MS);
      },
      onchange: () => {
        clearTimeout(this.searchTimer);
        set({ text: this.search.value.trim() });
      },
    });
    this.search.value = criteria.text;
    this.root = h(
      'div',
      { class: 'filters', role: 'search', 'aria-label': 'Events' },
      field('Search events', this.search),
      field('Severity', this.severity),
      field('Status', this.status),
      field('Site', this.site),
      field('Camera', this.camera),
      field('Type', this.type),
      this.types,
    );
    this.stopStore = store.listen((state, previous) => {
      if (state.events !== previous.events) this.show(state.events);
    });
  }

  stop(): void {
    this.stopStore();
    clearTimeout(this.searchTimer);
  }

  /** `/`: to the event search. */
  focusSearch(): void {
    this.search.focus();
    this.search.select();
  }

  setCameras(cameras: Camera[]): void {
    this.cameras = cameras;
    this.show(store.state.events);
  }

  /** Types seen in the statistics, offered as suggestions. */
  addTypes(types: string[]): void {
    const before = this.knownTypes.size;
    for (const type of types) this.knownTypes.add(type);
    if (this.knownTypes.size !== before) {
      this.types.replaceChildren(...[...this.knownTypes].sort().map((t) => h('option', { value: t })));
    }
  }

  private show(criteria: EventCriteria): void {
    this.severity.value = criteria.severity;
    this.status.value = criteria.status;
    const sites = sitesOf(this.cameras);
    if (criteria.site && !sites.includes(criteria.site)) sites.push(criteria.site);
    setOptions(this.site, [['', 'All sites'], ...sites.map((s) => [s, s] as const)], criteria.site);
    const inSite = this.cameras.filter((c) => !criteria.site || c.site === criteria.site).sort((a, b) => a.name.localeCompare(b.name));
    const options: Array<readonly [string, string]> = [['', 'All cameras'], ...inSite.map((c) => [c.id, c.name] as const)];
    if (criteria.camera && !inSite.some((c) => c.id === criteria.camera)) options.push([criteria.camera, criteria.camera]);
    setOptions(this.camera, options, criteria.camera);
    if (document.activeElement !== this.type) this.type.value = criteria.type;
    if (document.activeElement !== this.search) this.search.value = criteria.text;
  }
}
