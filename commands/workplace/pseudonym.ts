// Reviewers are known only by a keyed pseudonym. HMAC-SHA256 under a server key: without the key, nobody
// holding the log can test a guessed identity (a plain hash of an e-mail address would fall to a
// dictionary). The company id is part of the input, so one person's reviews of two companies cannot be
// linked to each other; the pseudonym only has to recognise a second review of the same company.
//
// The submitter id is compared as people write it: surrounding spaces, letter case and Unicode composition
// do not make another person (an e-mail address typed twice), so they cannot be used to review twice.
import { createHmac } from 'node:crypto';

/** The form in which two submitter ids name the same person: trimmed, NFC, lower case. */
export const canonicalSubmitterId = (submitterId: string) => submitterId.trim().normalize('NFC').toLowerCase();

export function reviewerPseudonym(key: Uint8Array, companyId: string, submitterId: string): string {
  return createHmac('sha256', key).update(companyId).update('\u0000').update(canonicalSubmitterId(submitterId)).digest('hex');
}
