/**
 * Every `journal-sink` command, in the order `--help` lists them. Adding a command is one
 * file in `commands/` plus its import and its entry here.
 *
 * @module
 */

import type { Command } from "./command.ts";
import { collect } from "./commands/collect.ts";
import { diff } from "./commands/diff.ts";
import { exportOtlp } from "./commands/export.ts";
import { query } from "./commands/query.ts";
import { receive } from "./commands/receive.ts";
import { serve } from "./commands/serve.ts";
import { spans } from "./commands/spans.ts";
import { stats } from "./commands/stats.ts";
import { tail } from "./commands/tail.ts";

/** The commands, by the order of the help. */
export const COMMANDS: readonly Command[] = [
  tail,
  spans,
  stats,
  diff,
  collect,
  query,
  exportOtlp,
  receive,
  serve,
];
