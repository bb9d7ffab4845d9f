import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A small stand-in for Stripe's API, for tests: the real `stripe` SDK talks to it over HTTP on
 * loopback (host/port/protocol options). It keeps Checkout Sessions, payment intents and refunds in
 * memory, honours Idempotency-Key and Stripe-Account like Stripe, and builds webhook events signed
 * exactly as Stripe signs them (the SDK's own test-header helper: HMAC-SHA256 of "t.payload").
 */
export interface FakeSession {
  id: string;
  object: 'checkout.session';
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid';
  amount_total: number;
  currency: string;
  payment_intent: string | null;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  success_url: string;
  cancel_url: string;
  url: string;
  mode: string;
  account: string | null;
  customer_email: string | null;
  created: number;
  /** Unix seconds: Stripe's default is 24 hours after creation (`expires_at` may ask 30 min to 24 h). */
  expires_at: number;
}

/** Stripe's refund statuses (API reference, "The Refund object"). */
export type FakeRefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

export interface FakeRefund {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: string | null;
  charge: string;
  created: number;
  currency: string;
  failure_reason?: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string | null;
  receipt_number: null;
  source_transfer_reversal: null;
  status: FakeRefundStatus;
  transfer_reversal: null;
}

/** A charge, as Stripe makes one for each paid payment intent (API reference, "The Charge object"). */
export interface FakeCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: boolean;
  created: number;
  currency: string;
  disputed: boolean;
  livemode: false;
  metadata: Record<string, string>;
  paid: boolean;
  payment_intent: string;
  refunded: boolean;
  status: 'succeeded';
}

export type FakeDisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'won'
  | 'lost';

/** A dispute (chargeback) (API reference, "The Dispute object"). */
export interface FakeDispute {
  id: string;
  object: 'dispute';
  amount: number;
  balance_transactions: unknown[];
  charge: string;
  created: number;
  currency: string;
  is_charge_refundable: boolean;
  livemode: false;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string;
  status: FakeDisputeStatus;
}

/** A Connect transfer from the platform's balance to a connected account (settlement payouts). */
export interface FakeTransfer {
  id: string;
  object: 'transfer';
  amount: number;
  amount_reversed: number;
  balance_transaction: string;
  created: number;
  currency: string;
  description: string | null;
  destination: string;
  destination_payment: string;
  livemode: false;
  metadata: Record<string, string>;
  reversals: { object: 'list'; data: never[]; has_more: false; total_count: 0; url: string };
  reversed: false;
  source_transaction: null;
  source_type: 'card';
  transfer_group: string | null;
}

export class FakeStripe {
  readonly sessions = new Map<string, FakeSession>();
  readonly refunds = new Map<string, FakeRefund>();
  readonly requests: {
    method: string;
    path: string;
    account: string | null;
    idempotencyKey: string | null;
    body: Record<string, unknown>;
  }[] = [];
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();
  // --- Connect transfers (settlement payouts) ---
  readonly transfers = new Map<string, FakeTransfer>();
  /** Connected accounts of the platform: a transfer to any other destination is refused, as Stripe does. */
  readonly connectedAccounts = new Set<string>();
  /** The platform's available balance in cents (eur): a transfer above it is refused (balance_insufficient). */
  balance = 1_000_000_000;
  // --- end of Connect transfers ---
  /** Answer the next N API calls with a 500 (to test retries and failures). */
  failNext = 0;
  readonly webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  /** The signing secret of the Connect endpoint (events of the connected accounts). */
  readonly connectWebhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  private server: Server | null = null;
  port = 0;
  private readonly signer = new Stripe('sk_test_signer');

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The customer pays: the session becomes complete and paid; returns the webhook event Stripe would send. */
  complete(sessionId: string, options: { amount?: number } = {}) {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`no session ${sessionId}`);
    session.status = 'complete';
    session.payment_status = 'paid';
    if (options.amount !== undefined) session.amount_total = options.amount;
    session.payment_intent ??= `pi_${randomBytes(12).toString('hex')}`;
    this.chargeFor(session);
    return this.event('checkout.session.completed', session);
  }

  expire(sessionId: string) {
    const session = this.sessions.get(sessionId)!;
    session.status = 'expired';
    return this.event('checkout.session.expired', session);
  }

  /** An event about `object`; `account`: the connected account it happened on (default: the object's own `account`, for sessions). */
  event(type: string, object: unknown, account?: string | null) {
    return {
      id: `evt_${randomBytes(12).toString('hex')}`,
      object: 'event',
      type,
      api_version: '2025-01-01',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      account: (account === undefined ? (object as { account?: string | null }).account : account) ?? undefined,
      data: { object: structuredClone(object) },
    };
  }

  /** The body and `stripe-signature` header of a webhook delivery, signed with `secret` (default: ours). */
  signed(event: unknown, secret = this.webhookSecret, timestamp?: number): { payload: string; signature: string } {
    const payload = JSON.stringify(event);
    const signature = this.signer.webhooks.generateTestHeaderString({
      payload,
      secret,
      ...(timestamp ? { timestamp } : {}),
    });
    return { payload, signature };
  }

  /** Where the hosted payment page delivers its webhooks (the node's /webhooks/stripe), for browser tests. */
  webhookUrl: string | null = null;

  /**
   * The hosted Checkout page, for browser tests: GET shows the amount and a "Payer" button; POST
   * completes the session, delivers the signed webhook to `webhookUrl` like Stripe would, then sends
   * the browser to the success URL.
   */
  private async payPage(req: IncomingMessage, res: ServerResponse, sessionId: string) {
    const session = this.sessions.get(sessionId);
    if (!session || session.status !== 'open') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('no open session');
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(
        `<!doctype html><html lang="fr"><title>Fake Stripe</title><h1>Paiement de ${(session.amount_total / 100).toFixed(2)} ${session.currency.toUpperCase()}</h1><form method="post"><button type="submit">Payer</button></form></html>`,
      );
    }
    const event = this.complete(sessionId);
    if (this.webhookUrl) {
      const { payload, signature } = this.signed(event);
      await fetch(this.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      });
    }
    res.writeHead(303, { location: session.success_url.replace('{CHECKOUT_SESSION_ID}', sessionId) });
    res.end();
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const pay = /^\/pay\/(cs_test_\w+)$/.exec(req.url ?? '');
    if (pay) return this.payPage(req, res, pay[1]!);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    // The SDK sends a GET's parameters in the query string, the others in the form body.
    const body = parseStripeForm(req.method === 'GET' ? url.search.slice(1) : raw);
    const account = (req.headers['stripe-account'] as string | undefined) ?? null;
    const idempotencyKey = (req.headers['idempotency-key'] as string | undefined) ?? null;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, account, idempotencyKey, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': `req_${randomBytes(6).toString('hex')}`,
      });
      res.end(JSON.stringify(payload));
    };
    if (!/^Bearer sk_(test|live)_/.test(req.headers.authorization ?? '')) {
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    }
    if (this.failNext > 0) {
      this.failNext--;
      return send(500, { error: { type: 'api_error', message: 'fake outage' } });
    }
    const key = idempotencyKey ? `${account}:${req.method}:${url.pathname}:${idempotencyKey}` : null;
    if (key && this.idempotent.has(key)) {
      const prior = this.idempotent.get(key)!;
      return send(prior.status, prior.body);
    }
    const [status, payload] =
      this.routeTransfers(
        req.method ?? 'GET',
        url.pathname,
        { ...parseStripeForm(url.search.slice(1)), ...body },
        account,
      ) ?? this.route(req.method ?? 'GET', url.pathname, body, account);
    if (key && status < 500) this.idempotent.set(key, { status, body: payload });
    send(status, payload);
  }

  /**
   * Connect transfers, as Stripe's API documents them: POST /v1/transfers (amount, currency, destination,
   * transfer_group, description, metadata; the platform's balance must cover it, the destination must be
   * a connected account), GET /v1/transfers (newest first; filters transfer_group and destination; limit
   * 1..100, default 10) and GET /v1/transfers/{id}. Null for any other path.
   */
  private routeTransfers(
    method: string,
    path: string,
    params: Record<string, unknown>,
    account: string | null,
  ): [number, unknown] | null {
    const invalid = (message: string, extra: Record<string, string> = {}): [number, unknown] => [
      400,
      { error: { type: 'invalid_request_error', message, ...extra } },
    ];
    if (method === 'POST' && path === '/v1/transfers') {
      if (account) return invalid('Transfers are made from the platform account in this fake');
      const amount = Number(params.amount);
      if (!/^\d+$/.test(String(params.amount ?? '')) || amount <= 0)
        return invalid('Invalid positive integer', { param: 'amount' });
      if (typeof params.currency !== 'string' || !/^[a-z]{3}$/.test(params.currency))
        return invalid('Missing required param: currency.', { param: 'currency' });
      const destination = String(params.destination ?? '');
      if (!destination) return invalid('Missing required param: destination.', { param: 'destination' });
      if (!this.connectedAccounts.has(destination))
        return invalid(`No such destination: '${destination}'`, { param: 'destination', code: 'resource_missing' });
      if (amount > this.balance)
        return invalid(
          'You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Charges using the 4000000000000077 test card.',
          { code: 'balance_insufficient' },
        );
      this.balance -= amount;
      const id = `tr_${randomBytes(12).toString('hex')}`;
      const transfer: FakeTransfer = {
        id,
        object: 'transfer',
        amount,
        amount_reversed: 0,
        balance_transaction: `txn_${randomBytes(12).toString('hex')}`,
        created: Math.floor(Date.now() / 1000),
        currency: params.currency,
        description: typeof params.description === 'string' ? params.description : null,
        destination,
        destination_payment: `py_${randomBytes(12).toString('hex')}`,
        livemode: false,
        metadata: (params.metadata as Record<string, string> | undefined) ?? {},
        reversals: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/transfers/${id}/reversals` },
        reversed: false,
        source_transaction: null,
        source_type: 'card',
        transfer_group: typeof params.transfer_group === 'string' ? params.transfer_group : null,
      };
      this.transfers.set(id, transfer);
      return [200, transfer];
    }
    if (method === 'GET' && path === '/v1/transfers') {
      const limit = params.limit === undefined ? 10 : Number(params.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) return invalid('Invalid limit', { param: 'limit' });
      const data = [...this.transfers.values()]
        .filter((t) => params.transfer_group === undefined || t.transfer_group === params.transfer_group)
        .filter((t) => params.destination === undefined || t.destination === params.destination)
        .reverse();
      return [200, { object: 'list', url: '/v1/transfers', has_more: data.length > limit, data: data.slice(0, limit) }];
    }
    const one = method === 'GET' ? /^\/v1\/transfers\/(tr_\w+)$/.exec(path) : null;
    if (one) {
      const transfer = this.transfers.get(one[1]!);
      return transfer
        ? [200, transfer]
        : [
            404,
            {
              error: {
                type: 'invalid_request_error',
                code: 'resource_missing',
                message: `No such transfer: '${one[1]}'`,
              },
            },
          ];
    }
    return null;
  }

  private route(
    method: string,
    path: string,
    body: Record<string, unknown>,
    account: string | null,
  ): [number, unknown] {
    const reconciliation = this.routeReconciliation(method, path, body, account);
    if (reconciliation) return reconciliation;
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      const items = (body.line_items as Record<string, unknown>[] | undefined) ?? [];
      let total = 0;
      let currency = 'eur';
      for (const item of items) {
        const pd = item.price_data as Record<string, unknown> | undefined;
        if (!pd)
          return [400, { error: { type: 'invalid_request_error', message: 'price_data required in this fake' } }];
        total += Number(pd.unit_amount) * Number(item.quantity ?? 1);
        currency = String(pd.currency);
      }
      if (!Number.isInteger(total) || total <= 0)
        return [400, { error: { type: 'invalid_request_error', message: 'bad amount' } }];
      const id = `cs_test_${randomBytes(12).toString('hex')}`;
      const session: FakeSession = {
        id,
        object: 'checkout.session',
        status: 'open',
        payment_status: 'unpaid',
        amount_total: total,
        currency,
        payment_intent: null,
        client_reference_id: (body.client_reference_id as string | undefined) ?? null,
        metadata: (body.metadata as Record<string, string> | undefined) ?? {},
        success_url: String(body.success_url ?? ''),
        cancel_url: String(body.cancel_url ?? ''),
        url: `${this.apiUrl}/pay/${id}`,
        mode: String(body.mode ?? 'payment'),
        account,
        customer_email: (body.customer_email as string | undefined) ?? null,
        created: Math.floor(Date.now() / 1000),
        expires_at: body.expires_at === undefined ? Math.floor(Date.now() / 1000) + 24 * 3600 : Number(body.expires_at),
      };
      this.sessions.set(id, session);
      return [200, session];
    }
    if (method === 'GET' && (m = /^\/v1\/checkout\/sessions\/([\w]+)$/.exec(path))) {
      const session = this.sessions.get(m[1]!);
      if (!session || session.account !== account)
        return [404, { error: { type: 'invalid_request_error', message: 'No such checkout.session' } }];
      return [200, session];
    }
    if (method === 'POST' && (m = /^\/v1\/checkout\/sessions\/([\w]+)\/expire$/.exec(path))) {
      const session = this.sessions.get(m[1]!);
      if (!session || session.account !== account)
        return [404, { error: { type: 'invalid_request_error', message: 'No such checkout.session' } }];
      if (session.status !== 'open')
        return [400, { error: { type: 'invalid_request_error', message: 'Session is not open' } }];
      session.status = 'expired';
      return [200, session];
    }
    return [
      404,
      { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path})` } },
    ];
  }

  // ---- Refunds, charges and disputes (Stripe reconciliation, docs/PAYMENTS.md) -----------------
  // Shapes follow Stripe's API reference (the Refund, Charge and Dispute objects, list objects). The
  // connected account an object lives on is kept beside it (`accountOf`), as Stripe keeps it: it is
  // not a field of the object, it is the `account` of its events and the `Stripe-Account` of calls.

  readonly charges = new Map<string, FakeCharge>();
  readonly disputes = new Map<string, FakeDispute>();
  private readonly accountOf = new Map<string, string | null>();
  /** The status the next refunds created through the API get (Stripe answers `pending` for some banks). */
  refundStatus: FakeRefundStatus = 'succeeded';

  /** The charge of a paid session's payment intent (one per intent). */
  private chargeFor(session: FakeSession): FakeCharge {
    const existing = [...this.charges.values()].find((c) => c.payment_intent === session.payment_intent);
    if (existing) return existing;
    const charge: FakeCharge = {
      id: `ch_${randomBytes(12).toString('hex')}`,
      object: 'charge',
      amount: session.amount_total,
      amount_captured: session.amount_total,
      amount_refunded: 0,
      captured: true,
      created: Math.floor(Date.now() / 1000),
      currency: session.currency,
      disputed: false,
      livemode: false,
      metadata: {},
      paid: true,
      payment_intent: session.payment_intent!,
      refunded: false,
      status: 'succeeded',
    };
    this.charges.set(charge.id, charge);
    this.accountOf.set(charge.id, session.account);
    return charge;
  }

  private chargeOfIntent(paymentIntent: string): FakeCharge {
    const charge = [...this.charges.values()].find((c) => c.payment_intent === paymentIntent);
    if (!charge) throw new Error(`no charge for ${paymentIntent}`);
    return charge;
  }

  /** Counts a refund on its charge as Stripe does: pending and succeeded refunds count, failed and canceled ones not. */
  private recount(charge: FakeCharge) {
    charge.amount_refunded = [...this.refunds.values()]
      .filter((r) => r.charge === charge.id && r.status !== 'failed' && r.status !== 'canceled')
      .reduce((sum, r) => sum + r.amount, 0);
    charge.refunded = charge.amount_refunded >= charge.amount;
  }

  private newRefund(charge: FakeCharge, amount: number, status: FakeRefundStatus, metadata: Record<string, string>) {
    const refund: FakeRefund = {
      id: `re_${randomBytes(12).toString('hex')}`,
      object: 'refund',
      amount,
      balance_transaction: `txn_${randomBytes(12).toString('hex')}`,
      charge: charge.id,
      created: Math.floor(Date.now() / 1000),
      currency: charge.currency,
      metadata,
      payment_intent: charge.payment_intent,
      reason: null,
      receipt_number: null,
      source_transfer_reversal: null,
      status,
      transfer_reversal: null,
    };
    this.refunds.set(refund.id, refund);
    this.accountOf.set(refund.id, this.accountOf.get(charge.id) ?? null);
    this.recount(charge);
    return refund;
  }

  /**
   * Someone refunds in Stripe's dashboard (no Rezo metadata): returns the `charge.refunded` event
   * (its object is the charge, without its refunds, as since API version 2022-11-15).
   */
  refundInDashboard(paymentIntent: string, amount?: number, status: FakeRefundStatus = 'succeeded') {
    const charge = this.chargeOfIntent(paymentIntent);
    const refund = this.newRefund(charge, amount ?? charge.amount - charge.amount_refunded, status, {});
    return { refund, event: this.event('charge.refunded', charge, this.accountOf.get(charge.id) ?? null) };
  }

  /** A refund's status changes at the bank: returns the `charge.refund.updated` event. */
  settleRefund(refundId: string, status: FakeRefundStatus, failureReason = 'expired_or_canceled_card') {
    const refund = this.refunds.get(refundId);
    if (!refund) throw new Error(`no refund ${refundId}`);
    refund.status = status;
    if (status === 'failed') refund.failure_reason = failureReason;
    this.recount(this.charges.get(refund.charge)!);
    return this.event('charge.refund.updated', refund, this.accountOf.get(refund.id) ?? null);
  }

  /** The buyer's bank opens a chargeback: returns the `charge.dispute.created` event. */
  openDispute(paymentIntent: string, options: { amount?: number; reason?: string } = {}) {
    const charge = this.chargeOfIntent(paymentIntent);
    const dispute: FakeDispute = {
      id: `dp_${randomBytes(12).toString('hex')}`,
      object: 'dispute',
      amount: options.amount ?? charge.amount - charge.amount_refunded,
      balance_transactions: [],
      charge: charge.id,
      created: Math.floor(Date.now() / 1000),
      currency: charge.currency,
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: paymentIntent,
      reason: options.reason ?? 'fraudulent',
      status: 'needs_response',
    };
    charge.disputed = true;
    this.disputes.set(dispute.id, dispute);
    this.accountOf.set(dispute.id, this.accountOf.get(charge.id) ?? null);
    return this.event('charge.dispute.created', dispute, this.accountOf.get(dispute.id) ?? null);
  }

  /** The dispute is decided: returns the `charge.dispute.closed` event. */
  closeDispute(disputeId: string, status: 'won' | 'lost' | 'warning_closed') {
    const dispute = this.disputes.get(disputeId);
    if (!dispute) throw new Error(`no dispute ${disputeId}`);
    dispute.status = status;
    return this.event('charge.dispute.closed', dispute, this.accountOf.get(dispute.id) ?? null);
  }

  /** A list object, newest first, with Stripe's cursor pagination (`limit`, `starting_after`). */
  private list<T extends { id: string; created: number }>(url: string, items: T[], body: Record<string, unknown>) {
    const sorted = [...items].reverse();
    const after = body.starting_after === undefined ? -1 : sorted.findIndex((x) => x.id === body.starting_after);
    const limit = Math.min(Math.max(Number(body.limit ?? 10), 1), 100);
    const page = sorted.slice(after + 1, after + 1 + limit);
    return { object: 'list', data: page, has_more: after + 1 + limit < sorted.length, url };
  }

  private routeReconciliation(
    method: string,
    path: string,
    body: Record<string, unknown>,
    account: string | null,
  ): [number, unknown] | null {
    const notFound = (what: string): [number, unknown] => [
      404,
      { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}` } },
    ];
    const mine = (id: string) => this.accountOf.has(id) && this.accountOf.get(id) === account;
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/refunds') {
      const pi = body.payment_intent === undefined ? null : String(body.payment_intent);
      const charge = [...this.charges.values()].find(
        (c) => mine(c.id) && (pi ? c.payment_intent === pi : c.id === body.charge),
      );
      if (!charge) return notFound('payment_intent');
      const left = charge.amount - charge.amount_refunded;
      const refusal = (code: string, message: string): [number, unknown] => [
        400,
        { error: { type: 'invalid_request_error', code, message } },
      ];
      if (charge.disputed) return refusal('charge_disputed', 'The charge has been charged back');
      if (left <= 0) return refusal('charge_already_refunded', 'The charge has already been refunded');
      const amount = body.amount === undefined ? left : Number(body.amount);
      if (!Number.isInteger(amount) || amount <= 0) return refusal('parameter_invalid_integer', 'Invalid amount');
      if (amount > left) return refusal('amount_too_large', 'Refund amount is greater than unrefunded amount');
      const metadata = (body.metadata as Record<string, string> | undefined) ?? {};
      return [200, this.newRefund(charge, amount, this.refundStatus, metadata)];
    }
    if (method === 'GET' && path === '/v1/refunds') {
      const items = [...this.refunds.values()].filter(
        (r) =>
          mine(r.id) &&
          (body.payment_intent === undefined || r.payment_intent === body.payment_intent) &&
          (body.charge === undefined || r.charge === body.charge),
      );
      return [200, this.list('/v1/refunds', items, body)];
    }
    if (method === 'GET' && (m = /^\/v1\/refunds\/(re_\w+)$/.exec(path))) {
      const refund = this.refunds.get(m[1]!);
      return refund && mine(refund.id) ? [200, refund] : notFound('refund');
    }
    if (method === 'GET' && path === '/v1/disputes') {
      const items = [...this.disputes.values()].filter(
        (d) =>
          mine(d.id) &&
          (body.payment_intent === undefined || d.payment_intent === body.payment_intent) &&
          (body.charge === undefined || d.charge === body.charge),
      );
      return [200, this.list('/v1/disputes', items, body)];
    }
    if (method === 'GET' && (m = /^\/v1\/disputes\/(dp_\w+)$/.exec(path))) {
      const dispute = this.disputes.get(m[1]!);
      return dispute && mine(dispute.id) ? [200, dispute] : notFound('dispute');
    }
    if (method === 'GET' && (m = /^\/v1\/charges\/(ch_\w+)$/.exec(path))) {
      const charge = this.charges.get(m[1]!);
      return charge && mine(charge.id) ? [200, charge] : notFound('charge');
    }
    return null;
  }
}

/** Stripe's form encoding: a[b][0][c]=v → { a: { b: [ { c: 'v' } ] } }. */
export function parseStripeForm(raw: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [fullKey, value] of new URLSearchParams(raw)) {
    const path = fullKey.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node: Record<string, unknown> | unknown[] = out;
    path.forEach((part, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!);
      const k = /^\d+$/.test(part) && Array.isArray(node) ? Number(part) : part;
      const container = node as Record<string | number, unknown>;
      if (last) container[k] = value;
      else {
        container[k] ??= nextIsIndex ? [] : {};
        node = container[k] as Record<string, unknown>;
      }
    });
  }
  return out;
}
