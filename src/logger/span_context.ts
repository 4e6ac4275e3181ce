/**
 * The implicit span context: which span is active in the current async flow. Backed by
 * `AsyncLocalStorage` from `node:async_hooks`, which Deno, Node and Bun all provide. The
 * storage is created on first use, so a host that never runs work inside a span pays one
 * `undefined` check per record and nothing else.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";

let storage: AsyncLocalStorage<object> | undefined;

/**
 * The span active in the current async flow, or `undefined` when none is (or when no span
 * was ever made active in this process, which costs one comparison).
 *
 * @returns The active span object, as stored by {@linkcode runInContext}.
 */
export function activeContext(): object | undefined {
  return storage === undefined ? undefined : storage.getStore();
}

/**
 * Run `fn` with `span` as the active span; the context follows awaits, timers and promise
 * chains started inside `fn`, and is restored when `fn` returns.
 *
 * @param span The span to make active.
 * @param fn The work; called with no arguments.
 * @returns Whatever `fn` returns.
 */
export function runInContext<T>(span: object, fn: () => T): T {
  if (storage === undefined) storage = new AsyncLocalStorage<object>();
  return storage.run(span, fn);
}
