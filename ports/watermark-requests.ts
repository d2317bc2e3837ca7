// What a read waiting for an LSN (`?consistentWith=`) may ask of the bus: tell every partition the head now
// rather than within the relay's watermark interval (RELAY_WATERMARK_MS). Fire-and-forget: a request that
// is lost only costs the wait up to that interval, never correctness.
export type WatermarkRequests = {
  /** A reader waits for `lsn`. Never throws; implementations throttle and coalesce. */
  request(lsn: number): void;
};
