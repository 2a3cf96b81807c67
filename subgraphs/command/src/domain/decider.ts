import type { DomainEvent } from '../../../../lib/events/domain-events';

/**
 * An aggregate as three pure functions, the shape every aggregate of the command side has:
 * `decide` turns a command and the current state into the event to append, `evolve` folds stored
 * events into the state, `initialState` is the state before the first event. No engine, no clock:
 * a unit test drives an aggregate with plain values, and one command handler runs them all.
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  /** The state of a stream that has no event yet. */
  initialState(): State;
  /**
   * The event `command` produces on `state`, or null when it changes nothing. Throws an AppError
   * when the command is refused. At most one event: an append holds one event per stream.
   */
  decide(command: Command, state: State): Event | null;
  evolve(state: State, event: Event): State;
}
