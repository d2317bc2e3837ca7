// Where a hot stream's commands run when several processes take them: in the one process that writes the
// stream, so that its batched single writer (commands/stream-writer.ts) is the only one appending to it and
// no two processes race for its revision. The adapter (gateways/http/stream-owner-routing.ts) decides who owns
// a stream from the gateways' membership and carries commands between them.

export interface StreamRouter {
  /**
   * Runs `local` here when this process writes `streamId` (or cannot reach the one that does); otherwise has
   * the owner run the handler served under `kind` with `payload` there, and answers (or throws) what it did.
   * `payload` and the answer travel as JSON; an error keeps its name, message and own fields. `ranBy` is told
   * the member id of the process that ran it (the gateway names it in its answer).
   */
  run<T>(streamId: string, kind: string, payload: unknown, local: () => Promise<T>, ranBy?: (memberId: string) => void): Promise<T>;
  /** What this process runs when another one sends it a command of `kind`: always here, never routed again. */
  serve(kind: string, handler: (payload: unknown) => Promise<unknown>): void;
}
