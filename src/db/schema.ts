import type { ColumnType, Generated } from 'kysely';
import type { Language } from '../i18n/i18n.ts';
import type { AgendaTables } from '../agenda/tables.ts';
import type { LedgerTables } from '../ledger/tables.ts';
import type { PaymentTables } from '../payments/tables.ts';
import type { MembershipTables } from '../memberships/tables.ts';
import type { TicketingTables } from '../ticketing/tables.ts';
import type { WebhookTables } from '../webhooks/tables.ts';
import type { MailTables } from '../mail/tables.ts';
import type { CardTables } from '../cards/tables.ts';
import type { TillTables } from '../till/tables.ts';
import type { ClosureTables } from '../till/closureTables.ts';
import type { SharedTables } from '../shared/tables.ts';
import type { SettlementTables } from '../settlement/tables.ts';
import type { FederationTables } from '../federation/tables.ts';

/** A column the database fills (default now()) but that may be written. */
export type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
export type Json<T> = ColumnType<T, string, string>;

export type PlaceRole = 'admin' | 'editor' | 'cashier' | 'door';

export interface NodeSettingsTable {
  key: string;
  value: string;
  created_at: CreatedAt;
}

export interface PeopleTable {
  id: string;
  email: string;
  name: Generated<string>;
  language: ColumnType<Language, Language | undefined, Language>;
  is_operator: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface LoginTokensTable {
  token_hash: Uint8Array;
  email: string;
  next_path: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  request_ip: string | null;
  requested: Generated<boolean>;
}

export interface SessionsTable {
  token_hash: Uint8Array;
  person_id: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  last_seen_at: CreatedAt;
}

/** Default VAT rates by the venue's location (migration 0029; docs/TICKETING.md, "VAT"). */
export interface VatDefaultsTable {
  country: string;
  postal_prefix: string;
  show_bp: number;
  standard_bp: number;
}

export interface PlacesTable {
  id: string;
  slug: string;
  name: string;
  description: Generated<string>;
  street: Generated<string>;
  postal_code: Generated<string>;
  city: Generated<string>;
  country: Generated<string>;
  latitude: number | null;
  longitude: number | null;
  timezone: Generated<string>;
  language: ColumnType<Language, Language | undefined, Language>;
  contact_email: Generated<string>;
  contact_phone: Generated<string>;
  website: Generated<string>;
  logo_media_id: string | null;
  cover_media_id: string | null;
  modules: ColumnType<string[], string[] | undefined, string[]>;
  /** The venue's connected Stripe account (acct_…), receiving its payments. */
  stripe_account_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface PlaceMembersTable {
  place_id: string;
  person_id: string;
  role: PlaceRole;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  place_id: string;
  id: string;
  name: string;
  prefix: string;
  key_hash: Uint8Array;
  scopes: string[];
  created_by: string | null;
  created_at: CreatedAt;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface MediaTable {
  place_id: string;
  id: string;
  content_type: string;
  byte_size: number;
  sha256: string;
  width: number | null;
  height: number | null;
  bytes: Uint8Array;
  created_at: CreatedAt;
}

export interface MailOutboxTable {
  id: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  language: Language;
  status: 'pending' | 'kept' | 'sent' | 'failed';
  attempts: Generated<number>;
  next_attempt_at: CreatedAt;
  error: string | null;
  created_at: CreatedAt;
  sent_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: string;
  place_id: string | null;
  actor_person_id: string | null;
  actor_api_key_id: string | null;
  action: string;
  subject_id: string | null;
  data: Json<Record<string, unknown>>;
  at: CreatedAt;
}

export interface SchemaMigrationsTable {
  version: string;
  applied_at: CreatedAt;
}

/** Every table. Modules declare theirs in <module>/tables.ts; the foundation's are here. */
export interface DB
  extends AgendaTables,
    LedgerTables,
    PaymentTables,
    MembershipTables,
    TicketingTables,
    WebhookTables,
    MailTables,
    CardTables,
    TillTables,
    ClosureTables,
    SharedTables,
    SettlementTables,
    FederationTables {
  node_settings: NodeSettingsTable;
  people: PeopleTable;
  login_tokens: LoginTokensTable;
  sessions: SessionsTable;
  places: PlacesTable;
  vat_defaults: VatDefaultsTable;
  place_members: PlaceMembersTable;
  api_keys: ApiKeysTable;
  media: MediaTable;
  mail_outbox: MailOutboxTable;
  audit_log: AuditLogTable;
  schema_migrations: SchemaMigrationsTable;
}
