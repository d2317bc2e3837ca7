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

/**
 * What a review records in place of the client's Idempotency-Key: a keyed hash of it under the reviewer's
 * pseudonym. Replays still find the review (the same key gives the same hash), and the log holds no value the
 * client chose, which could link the review to the client's other requests.
 */
export function reviewIdempotencyKey(key: Uint8Array, pseudonym: string, idempotencyKey: string): string {
  return createHmac('sha256', key).update('idempotency-key\u0000').update(pseudonym).update('\u0000').update(idempotencyKey).digest('hex');
}
