// What the access read model answers: the grants in force, as analysts and admins list them.

export type GrantEntry = { subject: string; role: string; scope: string | null; grantedAt: string; lsn: number };

export type AccessQueries = {
  /** Grants in force, oldest first; one subject's only when `subject` is given. */
  listGrants(options: { subject?: string; limit: number; cursor?: string }): Promise<{ grants: GrantEntry[]; nextCursor: string | null }>;
};
