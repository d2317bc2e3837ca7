// Opaque keyset cursors of the paged queries: base64url of `<kind>:<integer key>`. Clients pass back what
// they were given; anything else is refused as their error (the gateway answers 400 naming `cursor`).

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

export type KeysetCursor = { encode(key: number): string; decode(cursor: string): number };

export function keysetCursor(kind: string): KeysetCursor {
  const pattern = new RegExp(`^${kind}:(\\d{1,15})$`);
  return {
    encode: (key) => Buffer.from(`${kind}:${key}`).toString('base64url'),
    decode: (cursor) => {
      const match = pattern.exec(Buffer.from(cursor, 'base64url').toString());
      if (!match) throw new InvalidCursorError(`invalid cursor ${JSON.stringify(cursor)}`);
      return Number(match[1]);
    },
  };
}
