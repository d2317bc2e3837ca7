// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/**
 * @dev The public face of the event anchor, fixed in ARCHITECTURE.md (invariant 5) so that any auditor's
 * tool can use it: contiguous batches of the global event log, each committed as a Merkle root.
 */
interface IEventAnchor {
    /**
     * @dev Batch `batchId` covering LSNs `fromLsn..toLsn` (both included) was anchored with Merkle `root`.
     */
    event BatchAnchored(uint64 indexed batchId, uint64 fromLsn, uint64 toLsn, bytes32 root);

    /**
     * @dev `given` is not the next batch id; `expected` is.
     */
    error EventAnchorBatchOutOfOrder(uint64 expected, uint64 given);

    /**
     * @dev Batch `batchId` is already anchored: a batch is committed exactly once.
     */
    error EventAnchorBatchAlreadyAnchored(uint64 batchId);

    /**
     * @dev The batch must start right after the previous one, at `expectedFrom`; it starts at `given`.
     */
    error EventAnchorLsnGap(uint64 expectedFrom, uint64 given);

    /**
     * @dev `toLsn` is below `fromLsn`: a batch holds at least one event.
     */
    error EventAnchorInvalidRange(uint64 fromLsn, uint64 toLsn);

    /**
     * @dev A batch root cannot be zero (zero marks "not anchored" in storage).
     */
    error EventAnchorZeroRoot();

    /**
     * @dev The constructor was given the zero address for a role.
     */
    error EventAnchorZeroAddress();

    /**
     * @dev Anchors batch `batchId`, the events with LSNs `fromLsn..toLsn`, as Merkle `root`.
     *
     * Requirements:
     *
     * - the caller has `ANCHORER_ROLE`;
     * - `batchId` is {nextBatchId} (the first batch is 1);
     * - `fromLsn` is the previous batch's `toLsn + 1` (1 for the first batch);
     * - `toLsn >= fromLsn`;
     * - `root` is not zero.
     *
     * Emits a {BatchAnchored} event.
     */
    function commitBatch(uint64 batchId, uint64 fromLsn, uint64 toLsn, bytes32 root) external;

    /**
     * @dev The id the next committed batch must carry; 1 before any batch.
     */
    function nextBatchId() external view returns (uint64);

    /**
     * @dev Batch `batchId`'s root and LSN range, or all zeros when it is not anchored.
     */
    function batch(uint64 batchId) external view returns (bytes32 root, uint64 fromLsn, uint64 toLsn);

    /**
     * @dev Whether the event with these leaf fields is in anchored batch `batchId`: false when the batch does
     * not exist or `lsn` is outside its range, else whether `proof` leads from the event's leaf to its root.
     * The leaf is `keccak256(bytes.concat(keccak256(abi.encode(lsn, streamHash, eventId, payloadHash))))`;
     * pairs are hashed sorted (OpenZeppelin {MerkleProof}).
     */
    function verifyEvent(
        uint64 batchId,
        uint64 lsn,
        bytes32 streamHash,
        bytes32 eventId,
        bytes32 payloadHash,
        bytes32[] calldata proof
    ) external view returns (bool);
}

/**
 * @dev Anchors the global event log on chain, one Merkle root per contiguous LSN batch.
 *
 * Storage is what one commit must pay for, and no more (see contracts/README.md for the gas figures):
 *
 * - `_roots[batchId]`: the batch's root, one fresh slot per batch (the floor: 22,100 gas).
 * - `_toLsnWords[(batchId - 1) / 4]`: the `toLsn` of four consecutive batches per slot, lane
 *   `(batchId - 1) % 4` holding bits `64 * lane ..`. A batch's `fromLsn` is the previous batch's
 *   `toLsn + 1`, so it is not stored; a lane is non-zero exactly when its batch is anchored
 *   (`toLsn >= 1`), so the lanes are also the batch counter: committing batch n checks that lane n is
 *   empty and lane n - 1 is not, and there is no separate counter slot to update.
 */
contract EventAnchor is IEventAnchor, AccessControl {
    /// @dev The role allowed to call {commitBatch}.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    uint256 private constant LANES_PER_WORD = 4;
    uint256 private constant LANE_BITS = 64;

    mapping(uint64 batchId => bytes32) private _roots;
    mapping(uint256 wordIndex => uint256) private _toLsnWords;

    /**
     * @dev Grants `DEFAULT_ADMIN_ROLE` to `admin` and `ANCHORER_ROLE` to `anchorer`.
     */
    constructor(address admin, address anchorer) {
        if (admin == address(0) || anchorer == address(0)) revert EventAnchorZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, anchorer);
    }

    /// @inheritdoc IEventAnchor
    function commitBatch(uint64 batchId, uint64 fromLsn, uint64 toLsn, bytes32 root)
        external
        onlyRole(ANCHORER_ROLE)
    {
        if (batchId == 0) revert EventAnchorBatchOutOfOrder(nextBatchId(), batchId);
        uint256 index = batchId - 1;
        uint256 wordIndex = index / LANES_PER_WORD;
        uint256 shift = (index % LANES_PER_WORD) * LANE_BITS;
        uint256 word = _toLsnWords[wordIndex];
        if (uint64(word >> shift) != 0) revert EventAnchorBatchAlreadyAnchored(batchId);

        uint64 previousToLsn = 0;
        if (index != 0) {
            previousToLsn = shift == 0
                ? uint64(_toLsnWords[wordIndex - 1] >> (LANE_BITS * (LANES_PER_WORD - 1)))
                : uint64(word >> (shift - LANE_BITS));
            if (previousToLsn == 0) revert EventAnchorBatchOutOfOrder(nextBatchId(), batchId);
        }
        if (fromLsn != previousToLsn + 1) revert EventAnchorLsnGap(previousToLsn + 1, fromLsn);
        if (toLsn < fromLsn) revert EventAnchorInvalidRange(fromLsn, toLsn);
        if (root == bytes32(0)) revert EventAnchorZeroRoot();

        _toLsnWords[wordIndex] = word | (uint256(toLsn) << shift);
        _roots[batchId] = root;
        emit BatchAnchored(batchId, fromLsn, toLsn, root);
    }

    /**
     * @inheritdoc IEventAnchor
     * @dev The anchored batches are a prefix of the lanes: an exponential then binary search over the full
     * words finds its end in O(log n) reads (free for off-chain callers).
     */
    function nextBatchId() public view returns (uint64) {
        if (!_isFull(0)) return uint64(_filledLanes(_toLsnWords[0]) + 1);
        uint256 low = 0;
        uint256 high = 1;
        while (_isFull(high)) {
            low = high;
            high *= 2;
        }
        // _isFull(low) and !_isFull(high): the first word that is not full lies in (low, high].
        while (high - low > 1) {
            uint256 middle = (low + high) / 2;
            if (_isFull(middle)) low = middle;
            else high = middle;
        }
        return uint64(high * LANES_PER_WORD + _filledLanes(_toLsnWords[high]) + 1);
    }

    /// @inheritdoc IEventAnchor
    function batch(uint64 batchId) public view returns (bytes32 root, uint64 fromLsn, uint64 toLsn) {
        root = _roots[batchId];
        if (root == bytes32(0)) return (bytes32(0), 0, 0);
        toLsn = _toLsnOf(batchId);
        fromLsn = batchId == 1 ? 1 : _toLsnOf(batchId - 1) + 1;
    }

    /// @inheritdoc IEventAnchor
    function verifyEvent(
        uint64 batchId,
        uint64 lsn,
        bytes32 streamHash,
        bytes32 eventId,
        bytes32 payloadHash,
        bytes32[] calldata proof
    ) external view returns (bool) {
        (bytes32 root, uint64 fromLsn, uint64 toLsn) = batch(batchId);
        if (root == bytes32(0) || lsn < fromLsn || lsn > toLsn) return false;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(lsn, streamHash, eventId, payloadHash))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @dev The `toLsn` stored for `batchId` (>= 1), or 0 when it is not anchored.
    function _toLsnOf(uint64 batchId) private view returns (uint64) {
        uint256 index = batchId - 1;
        return uint64(_toLsnWords[index / LANES_PER_WORD] >> ((index % LANES_PER_WORD) * LANE_BITS));
    }

    /// @dev Whether all four batches of word `wordIndex` are anchored (lanes fill in order).
    function _isFull(uint256 wordIndex) private view returns (bool) {
        return _toLsnWords[wordIndex] >> (LANE_BITS * (LANES_PER_WORD - 1)) != 0;
    }

    /// @dev How many lanes of a word are anchored (they fill from lane 0 up).
    function _filledLanes(uint256 word) private pure returns (uint256 lanes) {
        while (lanes < LANES_PER_WORD && uint64(word >> (lanes * LANE_BITS)) != 0) lanes++;
    }
}
