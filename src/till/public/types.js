// @ts-check
// The till's shared JSDoc types (docs/TILL.md is the contract with the server). Types only: the
// browser never loads this file; the other modules name these types as import('./types.js').Sale.

/**
 * @typedef {import('./tillRules.js').ArticleKind} ArticleKind
 * @typedef {'card'|'cash'|'bank_card'} PaymentMethod
 * @typedef {{ id: string, name: string, kind: ArticleKind, priceCents: number|null, colour: string, category: string }} Article
 * @typedef {{ id: string, name: string, paymentMethods: PaymentMethod[], articles: Article[] }} Point
 * @typedef {{ points: Point[], timezone?: string }} TillConfig  timezone: the venue's (absent from a copy kept before it was)
 * @typedef {{ key: string, article: Article, quantity: number, amountCents?: number }} Line
 * @typedef {{ privateKey: CryptoKey, publicKey: CryptoKey, placeId: string, deviceId: string, name: string, place: { name: string, slug?: string } | null, kind?: 'till' | 'scanner' }} Device  kind: absent on tills paired before it was kept (a till)
 * @typedef {{ session: string, cashier: { name: string }, expiresAt: string }} Session
 * @typedef {{ method: PaymentMethod, amountCents: number, tenderedCents?: number, cardUid?: string, cardNumber?: string, cardToken?: string }} Payment
 * @typedef {{ articleId: string, quantity: number, amountCents?: number }} Item
 * @typedef {{ id: string, session: string, pointId: string, items: Item[], payments: Payment[], cardUid?: string, cardNumber?: string, cardToken?: string, cashBackCents?: number, soldAt?: string }} Sale
 * @typedef {{ total: number, cardUid?: string, change?: number, split?: boolean, second?: boolean }} SaleContext
 * @typedef {{ sale: Sale, context: SaleContext }} SentSale  a sale and what the till needs to tell its outcome
 * @typedef {{ total: number, firstUid: string, firstCents: number, restCents: number }} Split
 * @typedef {{ seq: number, sale: Sale, context: SaleContext, at?: string, refused?: { code: string, detail: string } }} QueueEntry
 * @typedef {{ status: number, body: any }} Answer  the server's JSON (docs/TILL.md), read field by field
 * @typedef {{ label: string, run: () => unknown, quiet?: boolean }} Action
 * @typedef {{ id: string, totalCents: number, at?: string, items?: { name: string, kind: ArticleKind, quantity: number, valueCents: number }[], payments?: { method: PaymentMethod, amountCents: number }[], card?: string | null }} LastSale  the last sale, for "cancel the last sale" (kept before its details were: id and total only)
 * @typedef {{ currency: string, name?: string, amount: number, decimals: number, usableHere: boolean }} Balance  src/till/apiRoutes.ts, Balance
 */

export {};
