import './styles.css';
import { disconnect, onLinkState } from './api/subscriptions';
import { installKeys } from './keyboard';
import { store } from './state/store';
import { session } from './session/session';
import { can, expiryText, type TokenInfo } from './session/token';
import { fill, h } from './ui/dom';
import { CamerasView } from './views/cameras';
import { EventDetailView } from './views/event-detail';
import { EventFeedView } from './views/event-feed';
import { ProjectionsView } from './views/projections';
import { signInView } from './views/sign-in';
import { StatisticsView } from './views/statistics';

const app = document.getElementById('app') as HTMLElement;
let stopDashboard: (() => void) | undefined;

const ROLE_TEXT = { viewer: 'Viewer (read only)', operator: 'Operator', admin: 'Admin' } as const;

function dashboardView(info: TokenInfo): HTMLElement {
  const canOperate = can(info.role, 'operator');
  const cameras = new CamerasView(canOperate);
  const feed = new EventFeedView(canOperate);
  const stats = new StatisticsView();
  const projections = new ProjectionsView(can(info.role, 'admin'));
  const detail = new EventDetailView(canOperate);
  cameras.onCameras = (list) => {
    stats.setCameras(list);
    feed.filters.setCameras(list);
    feed.setRecordedCameras(list.filter((camera) => camera.recorder).map((camera) => camera.id));
  };
  // A camera going offline or coming back is an event: the cards follow at once, not at the next poll.
  feed.onHealthEvent = () => void cameras.load();
  stats.onTypes = (types) => feed.filters.addTypes(types);
  const openEvent = (id: string) => store.update((s) => ({ ...s, event: id }));
  feed.onOpen = openEvent;
  feed.onChanged = (event) => detail.changed(event);
  detail.onAct = (event, action, note) => feed.act(event, action, note);
  detail.onClose = () => {
    openEvent('');
    feed.focusCursor();
  };
  detail.show(store.state.event);
  const stopDetail = store.listen((state) => detail.show(state.event));
  const stopKeys = installKeys({
    move: (step) => feed.moveCursor(step),
    act: (action) => feed.actFromKeyboard(action),
    toggleSelection: () => feed.toggleSelection(),
    open: () => feed.openCursor(),
    search: () => feed.filters.focusSearch(),
    close: () => {
      if (!detail.openId) return false;
      detail.onClose();
      return true;
    },
  });

  const link = h('span', { class: 'link-state', id: 'link-state', role: 'status', 'data-state': 'connecting' }, 'Connecting…');
  const stopLinkState = onLinkState((state) => {
    link.dataset.state = state;
    link.textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Live updates paused: reconnecting';
  });
  const expiry = info.expiresAt ? h('span', { class: 'expiry' }, expiryText(info.expiresAt)) : null;

  const views = [cameras, feed, stats, projections];
  for (const view of views) view.start();
  stopDashboard = () => {
    for (const view of views) view.stop();
    detail.stop();
    stopDetail();
    stopKeys();
    stopLinkState();
    disconnect();
  };

  return h(
    'div',
    { class: 'shell' },
    h(
      'header',
      { class: 'top' },
      h('h1', {}, 'Sightline'),
      link,
      cameras.offlineCount,
      h('span', { class: 'who', id: 'who' }, `${info.subject} · ${ROLE_TEXT[info.role]}`, expiry ? ' ' : '', expiry),
      h('button', { type: 'button', id: 'sign-out', class: 'quiet', onclick: () => session.end() }, 'Sign out'),
    ),
    h('main', { id: 'main', class: 'grid', 'data-role': info.role }, cameras.root, feed.root, stats.root, projections.root),
    detail.root,
  );
}

function render(info: TokenInfo | undefined, reason?: string): void {
  stopDashboard?.();
  stopDashboard = undefined;
  fill(app, info ? dashboardView(info) : signInView(reason));
}

const fragmentError = session.restore();
session.onChange(render);
render(session.info, fragmentError);
window.addEventListener('hashchange', () => {
  const { found, error } = session.signInFromFragment();
  if (found && error) render(undefined, error);
});
