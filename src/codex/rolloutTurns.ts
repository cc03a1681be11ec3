import { MAX_FILE_LINE_DEPTH, parseBoundedJson } from '../io/boundedJson.js';
import { headLines } from '../io/fileText.js';
import { NotARegularFile, openRegular } from '../io/regularFile.js';
import { TurnBuilder } from './turnBuilder.js';
import type { WireTurn } from './turnList.js';

export type { WireItem } from './turnItems.js';
export type { TurnStatus, WireTurn } from './turnList.js';
export { NotARegularFile, TurnBuilder };

export type TurnLimits = {
  /** Bytes of the rollout read at most; what lies beyond is not read. */
  readonly maxBytes: number;
  /** Items built at most; reading stops there. */
  readonly maxItems: number;
};
export const DEFAULT_TURN_LIMITS: TurnLimits = { maxBytes: 32 * 1024 * 1024, maxItems: 10_000 };

export type RolloutTurns = { turns: WireTurn[]; mtimeMs: number; truncated: boolean };

/**
 * The `turns` of `thread/read` (see `turnBuilder.ts`): a rollout read line by line, bounded: at
 * most `maxBytes` of the file and `maxItems` items (then `truncated`). Only a regular file is read
 * (see `regularFile.ts`): a symlink or anything else is refused (NotARegularFile). Lines that are
 * not JSON are skipped.
 */
export const readRolloutTurns = async (
  path: string,
  limits: TurnLimits = DEFAULT_TURN_LIMITS,
): Promise<RolloutTurns> => {
  const { handle, stat } = await openRegular(path);
  try {
    const builder = new TurnBuilder();
    let truncated = stat.size > limits.maxBytes;
    for await (const line of headLines(handle, limits.maxBytes)) {
      if (builder.items >= limits.maxItems) {
        truncated = true;
        break;
      }
      if (line.trim() === '') continue;
      // A torn or foreign line is skipped, as Codex skips it; so is one nested deeper than the
      // limit (its value would reach the answer, and everything recursive on the way).
      const parsed = parseBoundedJson(line, MAX_FILE_LINE_DEPTH);
      if (!parsed.ok) continue;
      builder.handle(parsed.value);
    }
    return { turns: builder.finish(), mtimeMs: stat.mtimeMs, truncated };
  } finally {
    await handle.close();
  }
};
