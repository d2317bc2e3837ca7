// What an admin may send to the access context.
import { getAddress, isAddress } from 'ethers';
import { z } from 'zod';
import { roles } from '../actor.ts';

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * A subject: a wallet address (stored checksummed, so any casing names the same subject) or the name an
 * API key was issued for.
 */
export const subjectSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'a wallet address, or letters, digits, _ . : @ or -, at most 128')
  // The shape first: ethers answers a name that is no address by building and catching an error, a cost
  // every vote of a ballot box would pay.
  .transform((subject) => (HEX_ADDRESS.test(subject) && isAddress(subject) ? getAddress(subject) : subject));

export const roleSchema = z.enum(roles);

/** An id a role is scoped to: any context's id shape (a company, a participant, a decision). */
export const scopeSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, _ . : or -, at most 128');

export const grantSchema = z.strictObject({ subject: subjectSchema, role: roleSchema, scope: scopeSchema.optional() });

export type GrantInput = z.infer<typeof grantSchema>;
