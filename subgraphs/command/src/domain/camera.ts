import { AppError } from '../../../../lib/errors/app-error';
import { RECORDING_OFF, type CameraEvent, type CameraStatus, type RecordingSettings } from '../../../../lib/events/domain-events';
import type { Decider } from './decider';

/** The camera aggregate: the state its commands are decided on. */
export interface CameraState {
  id: string;
  name: string;
  site: string | null;
  rtspUrl: string;
  tags: string[];
  status: CameraStatus;
  /** Absent only in snapshots saved before recording existed: read it with recordingOf. */
  recording?: RecordingSettings;
}

export interface RegisterCamera {
  kind: 'RegisterCamera';
  cameraId: string;
  name: string;
  site: string | null;
  rtspUrl: string;
  tags: string[];
  /** Validated (validRecording); absent means not recorded (RECORDING_OFF). */
  recording?: RecordingSettings;
}
export interface UpdateCamera {
  kind: 'UpdateCamera';
  cameraId: string;
  name?: string;
  site?: string | null;
  rtspUrl?: string;
  tags?: string[];
  /** Validated (validRecording); absent leaves the settings as they are. */
  recording?: RecordingSettings;
}
export interface DecommissionCamera {
  kind: 'DecommissionCamera';
  cameraId: string;
}
export type CameraCommand = RegisterCamera | UpdateCamera | DecommissionCamera;

/** The event a command produces on the current state, or null when it changes nothing. Throws AppErrors. */
export function decideCamera(command: CameraCommand, state: CameraState | null): CameraEvent | null {
  switch (command.kind) {
    case 'RegisterCamera': {
      if (state) throw new AppError('DUPLICATE_ID', `camera ${command.cameraId} already exists`, { id: command.cameraId });
      const { cameraId, name, site, rtspUrl, tags } = command;
      const recording = { ...(command.recording ?? RECORDING_OFF) };
      return { type: 'CameraRegistered', data: { cameraId, name, site, rtspUrl, tags, recording } };
    }
    case 'UpdateCamera': {
      const current = requireActive(state, command.cameraId);
      const changes: Omit<UpdateCamera, 'kind' | 'cameraId'> = {};
      if (command.name !== undefined && command.name !== current.name) changes.name = command.name;
      if (command.site !== undefined && command.site !== current.site) changes.site = command.site;
      if (command.rtspUrl !== undefined && command.rtspUrl !== current.rtspUrl) changes.rtspUrl = command.rtspUrl;
      if (command.tags !== undefined && !sameList(command.tags, current.tags)) changes.tags = command.tags;
      if (command.recording !== undefined && !sameRecording(command.recording, recordingOf(current))) changes.recording = { ...command.recording };
      if (Object.keys(changes).length === 0) return null;
      return { type: 'CameraUpdated', data: { cameraId: command.cameraId, ...changes } };
    }
    case 'DecommissionCamera': {
      if (!state) throw new AppError('NOT_FOUND', `camera ${command.cameraId} does not exist`, { id: command.cameraId });
      if (state.status === 'DECOMMISSIONED') return null;
      return { type: 'CameraDecommissioned', data: { cameraId: command.cameraId } };
    }
  }
}

export function evolveCamera(state: CameraState | null, event: CameraEvent): CameraState | null {
  switch (event.type) {
    case 'CameraRegistered': {
      const { cameraId, name, site, rtspUrl, tags, recording } = event.data;
      return { id: cameraId, name, site, rtspUrl, tags, status: 'ACTIVE', recording };
    }
    case 'CameraUpdated': {
      if (!state) return state;
      const { cameraId: _id, ...changes } = event.data;
      return { ...state, ...changes };
    }
    case 'CameraDecommissioned':
      return state ? { ...state, status: 'DECOMMISSIONED' } : state;
  }
}

export const cameraDecider: Decider<CameraState | null, CameraCommand, CameraEvent> = {
  initialState: () => null,
  decide: decideCamera,
  evolve: evolveCamera,
};

/** The camera an event may be recorded for: it exists and is ACTIVE. */
export function requireActive(state: CameraState | null, cameraId: string): CameraState {
  if (!state) throw new AppError('NOT_FOUND', `camera ${cameraId} does not exist`, { id: cameraId });
  if (state.status !== 'ACTIVE') throw new AppError('BAD_USER_INPUT', `camera ${cameraId} is decommissioned`, { id: cameraId });
  return state;
}

/** A camera's recording settings; a state from a snapshot older than recording has none, and was not recorded. */
export const recordingOf = (state: CameraState): RecordingSettings => state.recording ?? RECORDING_OFF;

const sameRecording = (a: RecordingSettings, b: RecordingSettings) => a.enabled === b.enabled && a.retentionHours === b.retentionHours;
const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item, i) => item === b[i]);
