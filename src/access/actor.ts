import type { PlaceRole } from '../db/schema.ts';

/** Who is asking. Every use case receives one and checks permissions itself. */
export type Actor = PersonActor | ApiKeyActor | SystemActor;

export interface PersonActor {
  kind: 'person';
  personId: string;
  isOperator: boolean;
}

export interface ApiKeyActor {
  kind: 'apiKey';
  keyId: string;
  placeId: string;
  scopes: readonly string[];
}

/** The node itself: the CLI, the demo loader, background jobs. */
export interface SystemActor {
  kind: 'system';
}

export const SYSTEM: SystemActor = { kind: 'system' };

export function personActor(personId: string, isOperator = false): PersonActor {
  return { kind: 'person', personId, isOperator };
}

export const ROLES: readonly PlaceRole[] = ['admin', 'editor', 'cashier', 'door'];
