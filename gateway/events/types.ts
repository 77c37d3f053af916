// The event vocabulary pushed to users over ws, and the one interface producers need.

export interface GatewayEvent {
  /** e.g. 'camera.state', 'enrolment.progress', 'grant.requested', 'grant.decided', 'grant.revoked' */
  type: string;
  /** Who may receive it: users of these stations (any role bound to the station or its villages)… */
  stationIds?: string[];
  /** …and/or exactly these users. An event with neither goes to nobody. */
  userIds?: string[];
  /** Only these roles among the station's users (default: all). */
  roles?: string[];
  at?: string;
  payload: Record<string, unknown>;
}

export interface EventPublisher {
  publish(event: GatewayEvent): void;
}

/** A publisher that drops everything (components that run without a ws hub, e.g. CLIs). */
export const nullPublisher: EventPublisher = { publish: () => undefined };
