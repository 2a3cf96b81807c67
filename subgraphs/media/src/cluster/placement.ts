/**
 * Where sessions run when there are several media services: pure rules over a snapshot of the live
 * members and of the cameras' current sessions (the slots), so every service that looks at the same
 * snapshot reaches the same answer. Claims still go through compare-and-set in the store, so two
 * services with different snapshots never both win one session.
 */

/** A media service as the others see it in `media_members`. */
export interface Member {
  id: string;
  /** Base URL the other media services reach it on (HLS relaying). */
  url: string;
  /** Its MEDIA_MAX_SESSIONS. */
  capacity: number;
  /** Set by the member on every heartbeat; the member is dead once this has passed. */
  expiresAt: Date;
}

/** The current session of one camera (`media_active`): which session, where it runs, how it is. */
export interface Slot {
  cameraId: string;
  sessionId: string;
  /** The member that runs (or is to run) it; null when nobody has it yet (sessions from before nodes). */
  owner: string | null;
  /** Whether ffmpeg runs or should run for it (STARTING, LIVE, RECONNECTING); FAILED slots only keep the liveStream. */
  active: boolean;
}

export const liveMembers = (members: readonly Member[], now: Date): Member[] => members.filter((member) => member.expiresAt.getTime() > now.getTime());

/** Active sessions per member id. */
export function loadOf(slots: readonly Slot[]): Map<string, number> {
  const load = new Map<string, number>();
  for (const slot of slots) if (slot.active && slot.owner) load.set(slot.owner, (load.get(slot.owner) ?? 0) + 1);
  return load;
}

/**
 * The member a new session goes to: the one recording the camera (`recordedBy`) if it has room, as it
 * serves the recording instead of opening a second RTSP connection; else the least loaded live one
 * with room left. Ties go to `preferred` (the service asked, which saves a hop), then to the lowest
 * id. Undefined when every one is full.
 */
export function placeSession(members: readonly Member[], load: ReadonlyMap<string, number>, preferred: string, recordedBy?: string): Member | undefined {
  const candidates = members.filter((member) => (load.get(member.id) ?? 0) < member.capacity);
  const recorder = candidates.find((member) => member.id === recordedBy);
  if (recorder) return recorder;
  candidates.sort(
    (a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || Number(b.id === preferred) - Number(a.id === preferred) || a.id.localeCompare(b.id),
  );
  return candidates[0];
}

/**
 * The active sessions whose owner is not a live member, each given to a live member: one at a time
 * to the least loaded with room (ties to the lowest id), in camera order. Deterministic, so services
 * looking at the same snapshot agree and each claims only its own share. Sessions no member has room
 * for are left out (they wait for room).
 */
export function assignOrphans(slots: readonly Slot[], members: readonly Member[]): Map<string, Slot[]> {
  const live = new Set(members.map((member) => member.id));
  const load = loadOf(slots.filter((slot) => slot.owner !== null && live.has(slot.owner)));
  const orphans = slots.filter((slot) => slot.active && (slot.owner === null || !live.has(slot.owner))).sort((a, b) => a.cameraId.localeCompare(b.cameraId));
  const assigned = new Map<string, Slot[]>();
  for (const orphan of orphans) {
    const target = placeSession(members, load, '');
    if (!target) break;
    load.set(target.id, (load.get(target.id) ?? 0) + 1);
    assigned.set(target.id, [...(assigned.get(target.id) ?? []), orphan]);
  }
  return assigned;
}
