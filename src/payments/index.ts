// The public surface of src/payments (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export { registerPurpose } from './purposes.ts';
export { listPaymentIssues } from './listPaymentIssues.ts';
export { takenBack } from './paymentBalance.ts';
export type { PaymentPurpose, Reversal } from './purposes.ts';
export { queueRefund } from './queueRefund.ts';
export { sendPendingRefunds } from './sendPendingRefunds.ts';
export { startStripeCheckout } from './startStripeCheckout.ts';
export { canTakePayments, startCheckout } from './startCheckout.ts';
export { demoPaymentsOn, settleDemoRefunds } from './demoCheckout.ts';
export { payWithWallet, refundWalletPayment } from './payWithWallet.ts';
export { paymentById } from './payments.ts';
export { paymentsByIds } from './payments.ts';
export { refundedCents } from './payments.ts';
export { insertPendingRefund } from './payments.ts';
export {
  expireOnSitePayments,
  markPaidOnSite,
  ON_SITE_METHODS,
  onSitePaymentId,
  openOnSitePayment,
} from './onSitePayment.ts';
