/** The TypeBox shapes of the till's admin API (devices, points of sale): they validate, type and document it. */
import { Type } from 'typebox';
import { DateTime, Uuid } from '../http/schemas.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { ARTICLE_KINDS, PAYMENT_METHODS } from './tables.ts';

export const DeviceSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  kind: Type.Union([Type.Literal('till'), Type.Literal('scanner')]),
  createdAt: DateTime,
  revokedAt: Type.Union([DateTime, Type.Null()]),
  lastSeenAt: Type.Union([DateTime, Type.Null()]),
});
export const PaymentMethodSchema = Type.Union(PAYMENT_METHODS.map((m) => Type.Literal(m)));
export const ArticleKindSchema = Type.Union(ARTICLE_KINDS.map((k) => Type.Literal(k)));
export const PointSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  paymentMethods: Type.Array(PaymentMethodSchema),
  position: Type.Integer(),
  archived: Type.Boolean(),
  articleIds: Type.Array(Uuid, { description: 'The articles this point shows, in order.' }),
});
export const CategorySchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  colour: Type.String(),
  position: Type.Integer(),
});
export const ArticleSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  kind: ArticleKindSchema,
  categoryId: Type.Union([Uuid, Type.Null()]),
  priceCents: Type.Union([Type.Integer(), Type.Null()], { description: 'Cents; null = the cashier types the amount.' }),
  vatRate: Type.Integer({ description: 'Basis points: 850 = 8.5 %.' }),
  colour: Type.String(),
  currencyId: Type.Union([Uuid, Type.Null()]),
  membershipProductId: Type.Union([Uuid, Type.Null()]),
  position: Type.Integer(),
  archived: Type.Boolean(),
});
export const CreditableSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  kind: Type.String(),
});
export const LimitCents = Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_MINOR, description: 'Cents' });
export const TopUpLimitsSchema = Type.Object({
  currencyId: Uuid,
  code: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  lineMaxCents: Type.Integer({ description: 'One top-up or gift line' }),
  saleMaxCents: Type.Integer({ description: 'Minted of this currency in one sale' }),
  cardDayMaxCents: Type.Integer({ description: 'Minted onto one card at this venue in a business day' }),
  dayMaxCents: Type.Integer({ description: 'Minted by the venue in a business day' }),
  custom: Type.Boolean({ description: 'False while the defaults apply' }),
});
export const SetupSchema = Type.Object({
  dayStartsAt: Type.String({ description: "Local time 'HH:MM' at which the business day starts." }),
  points: Type.Array(PointSchema),
  categories: Type.Array(CategorySchema),
  articles: Type.Array(ArticleSchema),
  topUpCurrencies: Type.Array(CreditableSchema),
  giftCurrencies: Type.Array(CreditableSchema),
  topUpLimits: Type.Array(TopUpLimitsSchema, {
    description: 'Every currency the venue credits at its counter, with its top-up limits in force',
  }),
  membershipProducts: Type.Array(Type.Object({ id: Uuid, name: Type.String(), active: Type.Boolean() })),
});
export const Name = Type.String({ maxLength: 200 });
export const Colour = Type.String({ maxLength: 7, description: '#rrggbb' });
export const Position = Type.Integer({ minimum: 0, maximum: 100_000 });
export const PointBody = {
  name: Name,
  paymentMethods: Type.Array(Type.String({ maxLength: 20 }), { maxItems: 3 }),
  position: Position,
  archived: Type.Boolean(),
};
export const ArticleBody = {
  name: Name,
  kind: Type.String({ maxLength: 20 }),
  categoryId: Type.Union([Type.String({ maxLength: 36 }), Type.Null()]),
  priceCents: Type.Union([Type.Integer({ minimum: 0, maximum: MAX_AMOUNT_MINOR }), Type.Null()], {
    description: 'Cents; null = the cashier types the amount (top-up, cash-out, open price).',
  }),
  vatRate: Type.Integer({ description: 'Basis points: 850 = 8.5 %, 210 = 2.1 %.' }),
  colour: Colour,
  currencyId: Type.Union([Type.String({ maxLength: 36 }), Type.Null()]),
  membershipProductId: Type.Union([Type.String({ maxLength: 36 }), Type.Null()]),
  position: Position,
  archived: Type.Boolean(),
};
export const CategoryBody = { name: Name, colour: Colour, position: Position };
export const PlaceParams = Type.Object({ placeId: Uuid });
export const security: Record<string, string[]>[] = [{ apiKey: [] }, { session: [] }];
export const tags = ['points of sale'];
