// Reviewers are known only by a keyed pseudonym. HMAC-SHA256 under a server key: without the key, nobody
// holding the log can test a guessed identity (a plain hash of an e-mail address would fall to a
// dictionary). The company id is part of the input, so one person's reviews of two companies cannot be
// linked to each other; the pseudonym only has to recognise a second review of the same company.
import { createHmac } from 'node:crypto';

export function reviewerPseudonym(key: Uint8Array, companyId: string, submitterId: string): string {
  return createHmac('sha256', key).update(companyId).update('\u0000').update(submitterId).digest('hex');
}
