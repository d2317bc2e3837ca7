// The embedded servers are for development and tests: a production deployment never starts one, even if
// a configuration slipped past loadConfig (the embedded PostgreSQL's password is known; the embedded anvil
// lets any local process rewrite the chain, anchored roots included).
export class DevelopmentServerError extends Error {
  override readonly name = 'DevelopmentServerError';
}

export function refuseInProduction(server: string, environment: NodeJS.ProcessEnv = process.env): void {
  if (environment.NODE_ENV === 'production') {
    throw new DevelopmentServerError(`the embedded ${server} is a development server and does not start with NODE_ENV=production`);
  }
}
