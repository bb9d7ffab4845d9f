// The public surface of src/ledger (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export {
  accountsOfOwner,
  findAccountId,
  lockAccounts,
  ownerAccountsAt,
  ownerBalances,
  ownersOfAccounts,
} from './accountsOfOwner.ts';
export { balancesOf } from './balancesOf.ts';
export { cashOutAtCounter, payableAtCounter, planCashOut } from './cashOutAtCounter.ts';
export type { CashOutSource } from './cashOutAtCounter.ts';
export { canonicalJson, sha256Hex } from './chain.ts';
export { CommandLineError, parseArgs } from './commandArgs.ts';
export type { Output } from './commandArgs.ts';
export { createTransfers } from './createTransfers.ts';
export { currenciesAcceptedAt, currencyCodesById, giftCurrenciesOf, topUpCurrenciesOf } from './currenciesOfPlace.ts';
export { loadDemoLedger } from './demoLedger.ts';
export { requireTill, verifyDeviceRequest } from './deviceSignature.ts';
export {
  insertLedgerDevice,
  ledgerDevicesOf,
  lockLedgerDevice,
  setLedgerDeviceName,
  setLedgerDeviceRevoked,
} from './devices.ts';
export type { LedgerDevice } from './devices.ts';
export { appendTransfers } from './engine.ts';
export type { Authorisation, TransferSpec } from './engine.ts';
export { ensureAccount } from './ensureAccount.ts';
export {
  federationMembers,
  federationNames,
  federationToken,
  federationsOfPlace,
  findFederationBySlug,
} from './federations.ts';
export type { FederationMember } from './federations.ts';
export { pageOfTransfers } from './history.ts';
export { historyOf } from './historyOf.ts';
export { findCurrency, getCurrencyById, paymentProviderOfMint, transfersById } from './ledger.ts';
export type { Currency, Transfer } from './ledger.ts';
export { listHolderDebts } from './listHolderDebts.ts';
export type { HolderDebt } from './listHolderDebts.ts';
export { mintAgainstPayment } from './mintAgainstPayment.ts';
export { mintAtCounter, unmintAtCounter } from './mintAtCounter.ts';
export { loadNodeKey, publicKeyFromBase64, signText, verifyText } from './nodeKey.ts';
export type { NodeKey } from './nodeKey.ts';
export { sealBlocks } from './sealer.ts';
export { settleVenue } from './settleVenue.ts';
export { postSettlementEuros } from './settlementPayout.ts';
export { settledItems, venuePositions } from './settlementPositions.ts';
export type { SettledItem, VenuePosition } from './settlementPositions.ts';
export { signCheckpoints } from './signCheckpoints.ts';
export type { CurrencyKind, DeviceSignature, OwnerKind, SettlementLine } from './tables.ts';
export { formatAmount } from './transparency.ts';
export { lockAccountBalances } from './accountsOfOwner.ts';
export { balancesTable, historyTable, venuesAccepting } from './moneyViews.ts';
export type { BalanceLine } from './moneyViews.ts';
export { ledgerIdentity } from './witness/identity.ts';
