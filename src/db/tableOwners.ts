import type { DB } from './schema.ts';

/** The modules that own tables: folders under src/. */
export type TableOwner =
  | 'db'
  | 'node'
  | 'accounts'
  | 'places'
  | 'team'
  | 'apikeys'
  | 'access'
  | 'mail'
  | 'shared'
  | 'agenda'
  | 'ledger'
  | 'payments'
  | 'memberships'
  | 'ticketing'
  | 'webhooks'
  | 'cards'
  | 'till'
  | 'settlement'
  | 'federation';

/**
 * Each table has one owner: the module (the folder under src/) whose use cases write it. Only that
 * module names the table in its queries; other modules call its functions (docs/ARCHITECTURE.md,
 * "Table owners", which is this list). src/db/tableOwners.test.ts scans the sources and holds every
 * module to it; `satisfies` keeps the list equal to the Kysely tables (DB, src/db/schema.ts).
 */
export const TABLE_OWNERS = {
  // The foundation (0001).
  schema_migrations: 'db',
  node_settings: 'node',
  people: 'accounts',
  login_tokens: 'accounts',
  sessions: 'accounts',
  places: 'places',
  media: 'places',
  vat_defaults: 'places',
  place_members: 'team',
  api_keys: 'apikeys',
  audit_log: 'access',
  mail_outbox: 'mail',
  mail_attachments: 'mail',
  rate_limit_counters: 'shared',
  // The agenda (0002).
  agenda_settings: 'agenda',
  events: 'agenda',
  event_dates: 'agenda',
  event_tags: 'agenda',
  place_follows: 'agenda',
  tag_follows: 'agenda',
  event_recurrences: 'agenda', // 0030
  // The ledger (0003, 0014, 0018, 0019, 0022, 0023).
  ledger_federations: 'ledger',
  ledger_federation_places: 'ledger',
  ledger_currencies: 'ledger',
  ledger_currency_places: 'ledger',
  ledger_accounts: 'ledger',
  ledger_chain_heads: 'ledger',
  ledger_transfers: 'ledger',
  ledger_payment_references: 'ledger',
  ledger_payouts: 'ledger',
  ledger_checkpoints: 'ledger',
  ledger_devices: 'ledger',
  ledger_device_nonces: 'ledger',
  ledger_unsealed: 'ledger',
  ledger_blocks: 'ledger',
  ledger_block_transfers: 'ledger',
  ledger_refund_limits: 'ledger',
  ledger_refunds: 'ledger',
  ledger_wallet_passes: 'ledger',
  ledger_hold_expiry_failures: 'ledger',
  ledger_settled_items: 'ledger',
  ledger_settlement_euros: 'ledger',
  ledger_debts: 'ledger',
  ledger_log_checkpoints: 'ledger',
  ledger_log_witnesses: 'ledger',
  ledger_log_cosignatures: 'ledger',
  ledger_witness_logs: 'ledger',
  ledger_witness_evidence: 'ledger',
  // Payments (0004, 0023).
  payments: 'payments',
  payment_events: 'payments',
  refunds: 'payments',
  payment_disputes: 'payments',
  // Memberships (0005).
  membership_products: 'memberships',
  memberships: 'memberships',
  // Ticketing (0006, 0007, 0015, 0016).
  date_capacity: 'ticketing',
  ticket_prices: 'ticketing',
  promo_codes: 'ticketing',
  orders: 'ticketing',
  order_lines: 'ticketing',
  tickets: 'ticketing',
  ticket_keys: 'ticketing',
  checkin_lists: 'ticketing',
  checkins: 'ticketing',
  cancellation_policies: 'ticketing',
  on_site_payment_settings: 'ticketing',
  ticket_questions: 'ticketing',
  order_answers: 'ticketing',
  waitlist_entries: 'ticketing',
  credit_refund_settings: 'ticketing',
  // Webhooks (0009).
  webhook_endpoints: 'webhooks',
  webhook_deliveries: 'webhooks',
  // Cards (0010).
  card_batches: 'cards',
  cards: 'cards',
  // The till (0011, 0012, 0013, 0019).
  pos_points: 'till',
  pos_categories: 'till',
  pos_articles: 'till',
  pos_point_articles: 'till',
  device_pairings: 'till',
  till_settings: 'till',
  till_sales: 'till',
  till_journal_heads: 'till',
  till_journal: 'till',
  till_closures: 'till',
  till_top_up_limits: 'till',
  // Settlement (0022).
  settlement_treasurers: 'settlement',
  settlement_settings: 'settlement',
  settlement_runs: 'settlement',
  settlement_statements: 'settlement',
  settlement_payouts: 'settlement',
  // Federation (0026).
  federation_actor_keys: 'federation',
  federation_kv: 'federation',
  federation_queue: 'federation',
  federation_remote_actors: 'federation',
  federation_followers: 'federation',
  federation_follows: 'federation',
  federation_remote_events: 'federation',
  federation_inbox_seen: 'federation',
  federation_outbox: 'federation',
  federation_published: 'federation',
  federation_blocks: 'federation',
  federation_joins: 'federation',
} as const satisfies Record<keyof DB, TableOwner>;
