// The public surface of src/mail (docs/ARCHITECTURE.md, "Module surfaces"): what the other modules may use.
export { registerAttachmentRenderer } from './attachmentRenderers.ts';
export { queueMail } from './queueMail.ts';
