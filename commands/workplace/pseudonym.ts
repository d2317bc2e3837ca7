// Reviewers are known only by a keyed pseudonym of their verified subject. HMAC-SHA256 under a server key:
// without the key, nobody holding the log can test a guessed identity (a plain hash of a wallet address or
// a key's subject would fall to a dictionary). The company id is part of the input, so one subject's
// reviews of two companies cannot be linked to each other; the pseudonym only has to recognise a second
// review of the same company by the same subject.
//
// The subject is compared as people write it: surrounding spaces, letter case and Unicode composition do not
// make another reviewer (an address checksummed or not is one wallet), so they cannot be used to review twice.
import { createHmac } from 'node:crypto';

/** The form in which two subjects name the same reviewer: trimmed, NFC, lower case. */
export const canonicalSubject = (subject: string) => subject.trim().normalize('NFC').toLowerCase();

export function reviewerPseudonym(key: Uint8Array, companyId: string, subject: string): string {
  return createHmac('sha256', key).update(companyId).update('\u0000').update(canonicalSubject(subject)).digest('hex');
}
