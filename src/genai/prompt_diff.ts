/**
 * What changed between a prompt as the turn built it (the 'before', `prompt:before`) and the
 * request that went to the provider (the 'after', `provider.request`'s body): messages added,
 * removed or changed, the system prompt, the tools. Pure, so the `diff` command and the viewer
 * compute the same difference. Both sides may be in any of the shapes hosts and SDKs use
 * (OpenAI chat messages, OpenAI Responses input items, Anthropic messages, AI SDK model
 * messages, or a whole request with `system`/`instructions`, `messages`/`input` and `tools`):
 * each is brought to plain messages first, so a message counts as the same whichever way it is
 * spelled.
 *
 * @module
 */

/** A message brought to a comparable form. */
export interface PromptMessage {
  /** Its place in its side's list of messages (system messages left out). */
  index: number;
  /** `user`, `assistant`, `tool`, … (a Responses item's `type` when it has no role). */
  role: string;
  /** Its content as text: text parts joined, other parts as JSON. What is compared. */
  text: string;
  /** The message as written. */
  message: unknown;
}

/** A tool definition brought to a comparable form. */
export interface PromptTool {
  /** The tool's name. */
  name: string;
  /** Name, description and parameter schema as JSON: what is compared. */
  definition: string;
}

/** One side of the comparison. */
export interface PromptSide {
  /** The system prompt (system and developer messages, `system`, `instructions`), or `null`. */
  system: string | null;
  /** The other messages, in order. */
  messages: PromptMessage[];
  /** The tools, or `null` when this side does not say (a bare list of messages). */
  tools: PromptTool[] | null;
}

/** What happened to one message. */
export interface MessageChange {
  /** `same`, `added` (only after), `removed` (only before) or `changed` (same place and role). */
  change: "same" | "added" | "removed" | "changed";
  /** The message before, unless added. */
  before?: PromptMessage;
  /** The message after, unless removed. */
  after?: PromptMessage;
}

/** The difference between a before and an after. */
export interface PromptDiff {
  /** The system prompt on each side, and whether it changed. */
  system: { before: string | null; after: string | null; changed: boolean };
  /** Every message of both sides, in order, with what happened to it. */
  messages: MessageChange[];
  /** Counts of `messages` by change. */
  counts: { same: number; added: number; removed: number; changed: number };
  /**
   * Tools by name; `null` when the before does not say which tools it had (then `after` lists
   * the request's tools).
   */
  tools: { added: string[]; removed: string[]; changed: string[] } | null;
  /** The names of the tools the request carried. */
  afterTools: string[];
}

type Json = Record<string, unknown>;

function object(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Json
    : undefined;
}

/** JSON with sorted keys: the same value gives the same text whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const o = object(value);
  if (o === undefined) return JSON.stringify(value) ?? "null";
  return `{${
    Object.keys(o).sort().filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")
  }}`;
}

const TEXT_PARTS = new Set(["text", "input_text", "output_text"]);

/** A message's content as text: strings and text parts as they are, other parts as JSON. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return content === undefined ? "" : canonical(content);
  return content.map((part) => {
    if (typeof part === "string") return part;
    const p = object(part);
    if (p !== undefined && TEXT_PARTS.has(String(p.type)) && typeof p.text === "string") {
      return p.text;
    }
    return canonical(part);
  }).join("\n");
}

const SYSTEM_ROLES = new Set(["system", "developer"]);

function messageText(m: Json): string {
  let text = contentText(m.content);
  // OpenAI chat's tool calls and a tool result's id live beside the content.
  if (m.tool_calls !== undefined) text += (text === "" ? "" : "\n") + canonical(m.tool_calls);
  if (typeof m.tool_call_id === "string") text = `[${m.tool_call_id}] ${text}`;
  if (m.content === undefined && m.role === undefined) {
    // A Responses item that is no message (function_call, function_call_output, reasoning).
    const { id: _id, ...rest } = m;
    text = canonical(rest);
  }
  return text;
}

function toolOf(tool: unknown): PromptTool | undefined {
  const t = object(tool);
  if (t === undefined) return undefined;
  const fn = object(t.function);
  const name = t.name ?? fn?.name;
  if (typeof name !== "string") return undefined;
  const definition = canonical({
    name,
    description: t.description ?? fn?.description,
    parameters: t.parameters ?? fn?.parameters ?? t.input_schema ?? t.inputSchema,
  });
  return { name, definition };
}

/**
 * One side brought to plain messages, its system prompt and its tools.
 *
 * @param value A list of messages, or a request (`system`/`instructions`, `messages`/`input`,
 *   `tools`), in any of the shapes the module names; a JSON string of one is parsed first.
 * @returns The side.
 *
 * @example An Anthropic request and OpenAI chat messages read alike
 * ```ts
 * import { promptSide } from "./prompt_diff.ts";
 * const a = promptSide({
 *   system: "Be brief.",
 *   messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
 *   tools: [],
 * });
 * const b = promptSide([{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }]);
 * if (a.system !== b.system || a.messages[0].text !== b.messages[0].text) throw new Error("differ");
 * if (a.tools === null || b.tools !== null) throw new Error("a request's tools are known, a list's not");
 * ```
 */
export function promptSide(value: unknown): PromptSide {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      return { system: null, messages: [], tools: null };
    }
  }
  const systems: string[] = [];
  let list: unknown[] = [];
  let tools: PromptTool[] | null = null;
  const request = object(v);
  if (Array.isArray(v)) list = v;
  else if (request !== undefined) {
    if (request.system !== undefined) systems.push(contentText(request.system));
    if (typeof request.instructions === "string") systems.push(request.instructions);
    const messages = request.messages ?? request.input ?? request.prompt;
    if (Array.isArray(messages)) list = messages;
    else if (typeof messages === "string") list = [{ role: "user", content: messages }];
    if (Array.isArray(request.tools)) {
      tools = request.tools.map(toolOf).filter((t): t is PromptTool => t !== undefined);
    }
  }
  const messages: PromptMessage[] = [];
  for (const item of list) {
    const m = object(item) ?? { role: "user", content: item };
    const role = typeof m.role === "string" ? m.role : typeof m.type === "string" ? m.type : "?";
    if (SYSTEM_ROLES.has(role)) {
      systems.push(contentText(m.content));
      continue;
    }
    messages.push({ index: messages.length, role, text: messageText(m), message: item });
  }
  return { system: systems.length > 0 ? systems.join("\n\n") : null, messages, tools };
}

function key(m: PromptMessage): string {
  return `${m.role}\u0000${m.text}`;
}

/** Longest common subsequence of the two lists' keys, as pairs of indexes. */
function commonPairs(a: PromptMessage[], b: PromptMessage[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const ka = a.map(key);
  const kb = b.map(key);
  const table = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] = ka[i] === kb[j]
        ? table[(i + 1) * (m + 1) + j + 1] + 1
        : Math.max(table[(i + 1) * (m + 1) + j], table[i * (m + 1) + j + 1]);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (ka[i] === kb[j]) {
      pairs.push([i++, j++]);
    } else if (table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1]) i++;
    else j++;
  }
  return pairs;
}

/** Words of a text, for how alike two messages are. */
function words(text: string): Set<string> {
  return new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== ""));
}

/** How alike two texts are: shared words over all words (0 to 1). */
function likeness(a: string, b: string): number {
  const wa = words(a);
  const wb = words(b);
  if (wa.size === 0 && wb.size === 0) return 1;
  let shared = 0;
  for (const w of wa) if (wb.has(w)) shared++;
  return (2 * shared) / (wa.size + wb.size);
}

/** Below this likeness, a removed and an added message are two changes, not one edit. */
const EDIT_LIKENESS = 0.5;

/**
 * Between two common messages: a removed message and the most alike added one of the same role
 * (in order) are one change when alike enough; the rest are removed and added.
 */
function gap(removed: PromptMessage[], added: PromptMessage[], out: MessageChange[]): void {
  let j = 0;
  for (const before of removed) {
    let best = -1;
    let bestLikeness = EDIT_LIKENESS;
    for (let k = j; k < added.length; k++) {
      if (added[k].role !== before.role) continue;
      const l = likeness(before.text, added[k].text);
      if (l >= bestLikeness) {
        best = k;
        bestLikeness = l;
      }
    }
    if (best < 0) {
      out.push({ change: "removed", before });
      continue;
    }
    for (; j < best; j++) out.push({ change: "added", after: added[j] });
    out.push({ change: "changed", before, after: added[best] });
    j = best + 1;
  }
  for (; j < added.length; j++) out.push({ change: "added", after: added[j] });
}

/**
 * The difference between a before and an after.
 *
 * @param before The prompt as built (`prompt:before`'s body).
 * @param after The request as sent (`provider.request`'s body).
 * @returns Message by message, the system prompt, the tools.
 *
 * @example An extension added a system prompt and a message
 * ```ts
 * import { diffPrompts } from "./prompt_diff.ts";
 * const before = [{ role: "user", content: "What is the weather in Oslo?" }];
 * const after = { model: "gpt-4o", messages: [
 *   { role: "system", content: "Answer in French." },
 *   { role: "user", content: "What is the weather in Oslo?" },
 *   { role: "user", content: "Context: it is raining." },
 * ] };
 * const diff = diffPrompts(before, after);
 * if (!diff.system.changed || diff.system.after !== "Answer in French.") throw new Error("system");
 * if (diff.counts.same !== 1 || diff.counts.added !== 1) throw new Error(JSON.stringify(diff.counts));
 * ```
 */
export function diffPrompts(before: unknown, after: unknown): PromptDiff {
  const a = promptSide(before);
  const b = promptSide(after);
  const messages: MessageChange[] = [];
  let i = 0;
  let j = 0;
  for (
    const [pi, pj] of [...commonPairs(a.messages, b.messages), [
      a.messages.length,
      b.messages.length,
    ]]
  ) {
    gap(a.messages.slice(i, pi), b.messages.slice(j, pj), messages);
    if (pi < a.messages.length) {
      messages.push({ change: "same", before: a.messages[pi], after: b.messages[pj] });
    }
    i = pi + 1;
    j = pj + 1;
  }
  const counts = { same: 0, added: 0, removed: 0, changed: 0 };
  for (const m of messages) counts[m.change]++;
  let tools: PromptDiff["tools"] = null;
  if (a.tools !== null) {
    const was = new Map(a.tools.map((t) => [t.name, t.definition]));
    const now = new Map((b.tools ?? []).map((t) => [t.name, t.definition]));
    tools = {
      added: [...now.keys()].filter((name) => !was.has(name)),
      removed: [...was.keys()].filter((name) => !now.has(name)),
      changed: [...now.keys()].filter((name) => was.has(name) && was.get(name) !== now.get(name)),
    };
  }
  return {
    system: { before: a.system, after: b.system, changed: a.system !== b.system },
    messages,
    counts,
    tools,
    afterTools: (b.tools ?? []).map((t) => t.name),
  };
}
