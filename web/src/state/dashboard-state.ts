// What the page shows, as the address bar holds it: filters, paging, layout and the open event.
// Pure (URLSearchParams only), so a shared link and a reload give back the same view.
import type { EventStatus, Severity } from '../api/operations';
import { SEVERITIES } from '../api/operations';
import { STREAM_STATES, type StreamState } from '../views/camera-list';

export const LAYOUTS = ['cards', '2x2', '3x3', '4x4'] as const;
export type Layout = (typeof LAYOUTS)[number];
export const CAMERA_STATUSES = ['ACTIVE', 'DECOMMISSIONED', 'ALL'] as const;
export type CameraStatusFilter = (typeof CAMERA_STATUSES)[number];
const EVENT_STATUSES: readonly EventStatus[] = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'];

export interface CameraCriteria {
  text: string;
  site: string;
  status: CameraStatusFilter;
  stream: StreamState | '';
  layout: Layout;
  /** 1-based. */
  page: number;
}

export interface EventCriteria {
  severity: Severity | '';
  status: EventStatus | '';
  site: string;
  camera: string;
  type: string;
  text: string;
}

export interface DashboardState {
  cameras: CameraCriteria;
  events: EventCriteria;
  /** The event whose detail panel is open. */
  event: string;
}

export const DEFAULT_STATE: DashboardState = {
  cameras: { text: '', site: '', status: 'ACTIVE', stream: '', layout: 'cards', page: 1 },
  events: { severity: '', status: '', site: '', camera: '', type: '', text: '' },
  event: '',
};

// Short keys keep shared links readable; camera keys start with `c`, event keys are the plain words.
const KEYS = {
  cameraText: 'cq',
  cameraSite: 'csite',
  cameraStatus: 'cstatus',
  cameraStream: 'cstream',
  layout: 'layout',
  page: 'cpage',
  severity: 'severity',
  status: 'status',
  site: 'site',
  camera: 'camera',
  type: 'type',
  text: 'q',
  event: 'event',
} as const;

const oneOf = <T extends string>(allowed: readonly T[], value: string | null, fallback: T): T =>
  value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;

const text = (value: string | null): string => (value ?? '').trim().slice(0, 200);

/** Reads the state from a query string (`?a=b&…`); unknown or invalid values fall back to the defaults. */
export function parseState(search: string): DashboardState {
  const params = new URLSearchParams(search);
  const page = Number.parseInt(params.get(KEYS.page) ?? '', 10);
  return {
    cameras: {
      text: text(params.get(KEYS.cameraText)),
      site: text(params.get(KEYS.cameraSite)),
      status: oneOf(CAMERA_STATUSES, params.get(KEYS.cameraStatus), DEFAULT_STATE.cameras.status),
      stream: oneOf<StreamState | ''>(['', ...STREAM_STATES], params.get(KEYS.cameraStream), ''),
      layout: oneOf(LAYOUTS, params.get(KEYS.layout), DEFAULT_STATE.cameras.layout),
      page: Number.isFinite(page) && page > 0 ? page : 1,
    },
    events: {
      severity: oneOf<Severity | ''>(['', ...SEVERITIES], params.get(KEYS.severity), ''),
      status: oneOf<EventStatus | ''>(['', ...EVENT_STATUSES], params.get(KEYS.status), ''),
      site: text(params.get(KEYS.site)),
      camera: text(params.get(KEYS.camera)),
      type: text(params.get(KEYS.type)),
      text: text(params.get(KEYS.text)),
    },
    event: text(params.get(KEYS.event)),
  };
}

/** The query string for a state (with its `?`, or '' for the default view); defaults are left out. */
export function serializeState(state: DashboardState): string {
  const params = new URLSearchParams();
  const put = (key: string, value: string | number, fallback: string | number) => {
    if (value !== fallback && value !== '') params.set(key, String(value));
  };
  const d = DEFAULT_STATE;
  put(KEYS.cameraText, state.cameras.text, d.cameras.text);
  put(KEYS.cameraSite, state.cameras.site, d.cameras.site);
  put(KEYS.cameraStatus, state.cameras.status, d.cameras.status);
  put(KEYS.cameraStream, state.cameras.stream, d.cameras.stream);
  put(KEYS.layout, state.cameras.layout, d.cameras.layout);
  put(KEYS.page, state.cameras.page, d.cameras.page);
  put(KEYS.severity, state.events.severity, '');
  put(KEYS.status, state.events.status, '');
  put(KEYS.site, state.events.site, '');
  put(KEYS.camera, state.events.camera, '');
  put(KEYS.type, state.events.type, '');
  put(KEYS.text, state.events.text, '');
  put(KEYS.event, state.event, '');
  const query = params.toString();
  return query ? `?${query}` : '';
}
