import { AppError } from '../../../../lib/errors/app-error';
import type { EventRecorded, EventStatus, IncidentEvent } from '../../../../lib/events/domain-events';
import { requireActive, type CameraState } from './camera';
import type { Decider } from './decider';

/** The event aggregate ("incident"): a recorded fact with its OPEN -> ACKNOWLEDGED -> RESOLVED lifecycle. */
export interface IncidentState {
  eventId: string;
  cameraId: string;
  status: EventStatus;
}

/**
 * Recording carries exactly the fields of the EventRecorded it produces, and the camera it names as
 * the handler read it: no event for an unknown or decommissioned camera.
 */
export type RecordEvent = { kind: 'RecordEvent'; camera: CameraState | null } & EventRecorded['data'];
export interface AcknowledgeEvent {
  kind: 'AcknowledgeEvent';
  eventId: string;
  by: string;
  note: string | null;
}
export interface ResolveEvent {
  kind: 'ResolveEvent';
  eventId: string;
  by: string;
  note: string | null;
}
export type IncidentCommand = RecordEvent | AcknowledgeEvent | ResolveEvent;

export function decideIncident(command: IncidentCommand, state: IncidentState | null): IncidentEvent {
  switch (command.kind) {
    case 'RecordEvent': {
      if (state) throw new AppError('DUPLICATE_ID', `event ${command.eventId} already exists`, { id: command.eventId });
      requireActive(command.camera, command.cameraId);
      const { kind: _kind, camera: _camera, ...data } = command;
      return { type: 'EventRecorded', data };
    }
    case 'AcknowledgeEvent': {
      const current = requireExisting(state, command.eventId);
      if (current.status !== 'OPEN') {
        throw new AppError('BAD_USER_INPUT', `only an OPEN event can be acknowledged; event ${command.eventId} is ${current.status}`, {
          id: command.eventId,
          status: current.status,
        });
      }
      return { type: 'EventAcknowledged', data: { eventId: current.eventId, cameraId: current.cameraId, by: command.by, note: command.note } };
    }
    case 'ResolveEvent': {
      const current = requireExisting(state, command.eventId);
      if (current.status === 'RESOLVED') {
        throw new AppError('BAD_USER_INPUT', `only an OPEN or ACKNOWLEDGED event can be resolved; event ${command.eventId} is RESOLVED`, {
          id: command.eventId,
          status: current.status,
        });
      }
      return { type: 'EventResolved', data: { eventId: current.eventId, cameraId: current.cameraId, by: command.by, note: command.note } };
    }
  }
}

export function evolveIncident(state: IncidentState | null, event: IncidentEvent): IncidentState | null {
  switch (event.type) {
    case 'EventRecorded':
      return { eventId: event.data.eventId, cameraId: event.data.cameraId, status: 'OPEN' };
    case 'EventAcknowledged':
      return state ? { ...state, status: 'ACKNOWLEDGED' } : state;
    case 'EventResolved':
      return state ? { ...state, status: 'RESOLVED' } : state;
  }
}

export const incidentDecider: Decider<IncidentState | null, IncidentCommand, IncidentEvent> = {
  initialState: () => null,
  decide: decideIncident,
  evolve: evolveIncident,
};

function requireExisting(state: IncidentState | null, eventId: string): IncidentState {
  if (!state) throw new AppError('NOT_FOUND', `event ${eventId} does not exist`, { id: eventId });
  return state;
}
