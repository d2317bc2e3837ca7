// The assets context's error codes (merged into the registry in ../error-registry.ts).
import type { ErrorDefinition } from '../errors.ts';

export const assetsErrors = {
  asset_not_found: { status: 404, description: 'No asset has this id (or the read model does not know it yet).' },
  purchase_not_found: { status: 404, description: 'No purchase with this id is under way on the asset.' },
  stake_not_found: { status: 404, description: 'No stake has this id.' },
  wallet_not_found: { status: 404, description: 'The wallet has nothing in the read model: no deposit, asset, sale or stake.' },
  asset_exists: { status: 409, description: 'An asset with this id is already registered.' },
  verification_decided: { status: 409, description: 'The asset is already verified or rejected.' },
  asset_not_verified: { status: 409, description: 'Only a verified asset is sold, listed or staked (a rejected one never is).' },
  asset_not_listed: { status: 409, description: 'The asset is not listed for sale.' },
  price_changed: { status: 409, description: 'The asset’s price (or the purchase’s, on a retry) is not the `price` the buyer agreed to; nothing moved.' },
  purchase_in_progress: { status: 409, description: 'Another buyer’s purchase of the asset is under way; nothing moved.' },
  already_owner: { status: 409, description: 'The buyer already owns the whole asset.' },
  purchase_exists: { status: 409, description: 'A purchase with this id was made by another buyer or on another asset.' },
  purchase_cancelled: { status: 409, description: 'The purchase was cancelled (unpaid, or expired before its payment); nothing moved.' },
  purchase_voided: { status: 409, description: 'The buyer’s wallet voided this purchase before paying it; nothing moved.' },
  insufficient_funds: { status: 409, description: 'The wallet holds less than the amount; nothing moved.' },
  stake_exists: { status: 409, description: 'A stake with this id already exists (on other terms, or another staker’s).' },
  stake_closed: { status: 409, description: 'The stake is closed: nothing more is claimed or unstaked.' },
  nothing_to_claim: { status: 409, description: 'The stake has no unclaimed rewards yet (they accrue per whole day).' },
  reward_pool_empty: { status: 409, description: 'The reward pool cannot cover what the stake is owed; nothing moved.' },
  invalid_shares: { status: 422, description: 'The creators’ shares sum to exactly 10000 basis points, each creator named once.' },
} as const satisfies Record<string, ErrorDefinition>;
