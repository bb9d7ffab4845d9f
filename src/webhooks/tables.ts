import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, NullableTimestamp } from '../db/schema.ts';

export type WebhookDeliveryStatus = 'pending' | 'sent' | 'failed';

export interface WebhookEndpointsTable {
  place_id: string;
  id: string;
  url: string;
  events: string[];
  secret: string;
  active: Generated<boolean>;
  created_at: CreatedAt;
}

export interface WebhookDeliveriesTable {
  place_id: string;
  id: string;
  endpoint_id: string;
  event_id: string;
  type: string;
  body: string;
  status: ColumnType<WebhookDeliveryStatus, WebhookDeliveryStatus | undefined, WebhookDeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  status_code: ColumnType<number | null, number | null | undefined, number | null>;
  error: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  delivered_at: NullableTimestamp;
}

export interface WebhookTables {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
