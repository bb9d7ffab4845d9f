/** Table types of the cards module (migration 0010_cards.sql). Merged into DB in db/schema.ts. */
import type { CreatedAt, NullableTimestamp } from '../db/schema.ts';
import type { ColumnType } from 'kysely';

export type CardStatus = 'active' | 'blocked';

export interface CardBatchesTable {
  id: string;
  name: string;
  card_count: number;
  imported_by: string | null;
  created_at: CreatedAt;
}

export interface CardsTable {
  id: string;
  batch_id: string;
  uid: string;
  number: string;
  qr_token_sha256: string;
  person_id: string | null;
  linked_at: NullableTimestamp;
  status: ColumnType<CardStatus, CardStatus | undefined, CardStatus>;
  blocked_at: NullableTimestamp;
  blocked_by: string | null;
  block_reason: ColumnType<string, string | undefined, string>;
  created_at: CreatedAt;
}

export interface CardTables {
  card_batches: CardBatchesTable;
  cards: CardsTable;
}
