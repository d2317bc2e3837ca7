// A revert of the EventAnchor contract, decoded: the custom error's name and arguments.
import { isError, type Interface } from 'ethers';

export class AnchorContractError extends Error {
  override readonly name = 'AnchorContractError';

  constructor(
    /** The custom error, e.g. `EventAnchorBatchOutOfOrder`, or `Error` / `Panic` for require/assert reverts. */
    readonly errorName: string,
    /** Its arguments by name (numbers as bigint), e.g. `{ expected: 8n, given: 7n }`. */
    readonly args: Readonly<Record<string, unknown>>,
    /** What was called, e.g. `commitBatch(7, 6001..7000)`. */
    readonly call: string,
    options?: { cause?: unknown },
  ) {
    super(`${call} reverted: ${errorName}(${Object.entries(args).map(([key, value]) => `${key} ${String(value)}`).join(', ')})`, options);
  }
}

/** The contract error inside an ethers CALL_EXCEPTION, or undefined when `error` is not a decodable revert. */
export function decodeContractError(error: unknown, iface: Interface, call: string): AnchorContractError | undefined {
  if (!isError(error, 'CALL_EXCEPTION') || !error.data || error.data === '0x') return undefined;
  const parsed = iface.parseError(error.data);
  if (!parsed) return undefined;
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, index) => (args[input.name || `arg${index}`] = parsed.args[index]));
  return new AnchorContractError(parsed.name, args, call, { cause: error });
}
