import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { requestLoginLink } from '../accounts/index.ts';
import { demoCard } from '../cards/index.ts';
import { loadNodeSecret } from '../node/nodeSecret.ts';
import { demoPaymentsOn } from '../payments/index.ts';
import { DEMO_ADMIN_EMAIL, hasDemoData } from './loadDemo.ts';

/**
 * What `rezo serve` prints about the demo. In development: a one-time login link for the demo admin
 * and how to try the till — this install's own card UIDs and a card page, derived again from the
 * node secret (demoCard). Elsewhere, a node holding the demo data gets a warning instead (and a
 * banner on every page): its demo cards carry money and its people are fiction. Nothing without demo data.
 */
export async function demoStartLines(db: Db, config: Config): Promise<string[]> {
  if (!(await hasDemoData(db))) return [];
  if (config.env !== 'development')
    return [
      `WARNING: this ${config.env} node holds the demo data (fictional venues, people, and cards with money on them).`,
      `  Every page says so. To run the node for real, start it on an empty database without REZO_DEMO.`,
    ];
  const link = await requestLoginLink(db, config, {
    email: DEMO_ADMIN_EMAIL,
    language: config.defaultLanguage,
    sendMail: false,
  });
  return [
    `Log in as the demo admin (${DEMO_ADMIN_EMAIL}) with this one-time link (valid ${config.loginTokenTtlMinutes} min):`,
    `  ${link.url}`,
    `Or ask for a link at ${config.baseUrl}/login and read it at ${config.baseUrl}/dev/mail.`,
    ...(await tillLines(db, config)),
    ...(await sellLines(db, config)),
  ];
}

/** Where to buy with the demo payment provider (docs/PAYMENTS.md, "Demo provider"): a ticketed event, a membership, the wallet. */
async function sellLines(db: Db, config: Config): Promise<string[]> {
  if (!demoPaymentsOn(config)) return [];
  const event = await db
    .selectFrom('events as e')
    .innerJoin('places as p', 'p.id', 'e.place_id')
    .select(['e.slug'])
    .where('p.slug', '=', 'la-fabrik')
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('ticket_prices as t')
          .select('t.id')
          .whereRef('t.event_id', '=', 'e.id')
          .where('t.kind', '=', 'fixed'),
      ),
    )
    .orderBy('e.id')
    .executeTakeFirst();
  return [
    `Payments: demo provider (no real money; set STRIPE_SECRET_KEY for Stripe). Buy a ticket at ${config.baseUrl}/events/${event?.slug ?? ''},`,
    `  a membership at ${config.baseUrl}/venues/la-fabrik#memberships, top up online at ${config.baseUrl}/wallet.`,
  ];
}

/** How to try the till of the demo: the staff card of La Fabrik and a card with money, as a reader would type them. */
async function tillLines(db: Db, config: Config): Promise<string[]> {
  const staff = await db
    .selectFrom('cards as c')
    .innerJoin('place_members as m', 'm.person_id', 'c.person_id')
    .innerJoin('places as p', 'p.id', 'm.place_id')
    .select(['c.uid', 'c.number'])
    .where('p.slug', '=', 'la-fabrik')
    .where('m.role', '=', 'cashier')
    .where('c.number', 'like', 'DEMO-%')
    .orderBy('c.number')
    .executeTakeFirst();
  const customer = await db
    .selectFrom('cards')
    .select(['uid', 'number'])
    .where('number', '=', 'DEMO-001')
    .executeTakeFirst();
  if (!staff || !customer) return [];
  const { token } = demoCard(await loadNodeSecret(db), 1);
  return [
    `Till: log in as the demo admin, pair a till at ${config.baseUrl}/venues/la-fabrik/admin/devices, open ${config.baseUrl}/till,`,
    `  then type the card UIDs: staff card ${staff.number} ${staff.uid}, customer card ${customer.number} ${customer.uid}.`,
    `The page of card ${customer.number} (its QR code): ${config.baseUrl}/cards/${token}`,
  ];
}
