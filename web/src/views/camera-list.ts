// Which cameras the grid shows, in which group and on which page. Pure, so it is unit tested.
import type { Camera } from '../api/operations';

/** A camera's stream state as the filter names it: a session's status, or STOPPED for none. */
export const STREAM_STATES = ['LIVE', 'STARTING', 'RECONNECTING', 'FAILED', 'STOPPED'] as const;
export type StreamState = (typeof STREAM_STATES)[number];

export interface CameraSelection {
  text: string;
  site: string;
  status: 'ACTIVE' | 'DECOMMISSIONED' | 'ALL';
  stream: StreamState | '';
}

export const NO_SITE = '';

export const streamStateOf = (camera: Camera): StreamState => camera.liveStream?.status ?? 'STOPPED';

/**
 * A recorder starting up is RECONNECTING until its first segment: it counts as offline only once it
 * has failed to connect, or after this long.
 */
export const CONNECT_GRACE_MS = 10000;

/**
 * Why an active camera is offline (its recorder cannot reach it, or its live stream lost it), or
 * null. Cameras that are neither recorded nor streaming give no sign either way.
 */
export function offlineReason(camera: Camera, now: number): string | null {
  if (camera.status !== 'ACTIVE') return null;
  const recorder = camera.recorder;
  if (recorder?.state === 'RECONNECTING' && (recorder.lastError || now - Date.parse(recorder.since) >= CONNECT_GRACE_MS)) {
    return `The recorder cannot reach the camera${recorder.lastError ? `: ${recorder.lastError}` : ''}.`;
  }
  if (camera.liveStream?.status === 'RECONNECTING') return 'The live stream lost the camera and is reconnecting.';
  return null;
}

const bySiteThenName = (a: Camera, b: Camera): number =>
  // Cameras without a site go last.
  (a.site ?? '\uffff').localeCompare(b.site ?? '\uffff') || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);

/** The cameras matching a selection, sorted by site then name. `text` matches name, id and site, any case. */
export function selectCameras(cameras: readonly Camera[], selection: CameraSelection): Camera[] {
  const needle = selection.text.trim().toLowerCase();
  return cameras
    .filter((camera) => {
      if (selection.status !== 'ALL' && camera.status !== selection.status) return false;
      if (selection.site && (camera.site ?? NO_SITE) !== selection.site) return false;
      if (selection.stream && streamStateOf(camera) !== selection.stream) return false;
      if (!needle) return true;
      return [camera.name, camera.id, camera.site ?? ''].some((field) => field.toLowerCase().includes(needle));
    })
    .sort(bySiteThenName);
}

/** The distinct sites, sorted, cameras without a site left out. */
export function sitesOf(cameras: readonly Camera[]): string[] {
  return [...new Set(cameras.map((c) => c.site).filter((s): s is string => Boolean(s)))].sort((a, b) => a.localeCompare(b));
}

export interface Page<T> {
  items: T[];
  /** 1-based, clamped to the pages there are. */
  page: number;
  pages: number;
}

export function pageOf<T>(items: readonly T[], page: number, size: number): Page<T> {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const current = Math.min(Math.max(1, Math.floor(page)), pages);
  return { items: items.slice((current - 1) * size, current * size), page: current, pages };
}

export interface SiteGroup {
  site: string;
  cameras: Camera[];
}

/** Consecutive cameras of one site as one group (the input is sorted by site). */
export function groupBySite(cameras: readonly Camera[]): SiteGroup[] {
  const groups: SiteGroup[] = [];
  for (const camera of cameras) {
    const site = camera.site ?? NO_SITE;
    const last = groups.at(-1);
    if (last && last.site === site) last.cameras.push(camera);
    else groups.push({ site, cameras: [camera] });
  }
  return groups;
}
