// The gateways that are running now, each reachable at an address of its own: what lets a gateway send a
// hot stream's commands to the one member that writes it (gateways/http/stream-owner-routing.ts). The
// adapter is infra/db/postgres-gateway-members.ts; liveness is judged by the store's clock, not the members'.

export type GatewayMember = {
  /** Drawn at random when the member starts: a restarted process is a new member. */
  readonly memberId: string;
  /** Where this member answers directly (not a shared, load-balanced address), e.g. http://10.0.0.5:41234. */
  readonly url: string;
};

export interface GatewayMembers {
  /**
   * Records that `member` is alive now (joining if it is new) and returns every member whose last beat is
   * younger than `liveForMs`, this one included.
   */
  beat(member: GatewayMember, liveForMs: number): Promise<GatewayMember[]>;
  /** Removes the member at once (a graceful close), instead of waiting for its beat to age out. */
  leave(memberId: string): Promise<void>;
}
