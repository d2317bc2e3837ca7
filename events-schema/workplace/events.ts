// Workplace accountability events (seed 000). Filled in with the context.
export type WorkplaceEvent = never;
