/**
 * `journal-sink serve [--db F] [--port 4319] [--host 127.0.0.1] [--prices F] [<journal>]`: the viewer.
 *
 * @module
 */

import { type Command, UsageError } from "../command.ts";
import { port } from "../options.ts";
import { requireJournal, requireStore } from "../require_file.ts";
import { absolutePath } from "../stop_signal.ts";
import { readPricesFile } from "../prices_file.ts";
import { serveUntilStopped } from "../until_stopped.ts";

/** `journal-sink serve`. */
export const serve: Command = {
  name: "serve",
  summary: "the viewer in a browser: turns, their span trees and log entries (read only)",
  description: `Serves a journal (followed live) or a trace store (--db), never both. / lists the
turns, /?turn=<id> shows one. Prints one line with its URL once it listens, then runs until
SIGINT/SIGTERM. On a loopback address the Host header must name loopback or an --allow-host.`,
  positionals: ["[<journal>]"],
  options: [
    { name: "db", value: "<file>", help: "a trace store written by collect, instead of a journal" },
    {
      name: "port",
      value: "<N>",
      parse: port,
      default: 4319,
      help: "the TCP port; 0 picks a free one",
    },
    { name: "host", value: "<address>", default: "127.0.0.1", help: "the address to bind" },
    {
      name: "prices",
      value: "<file>",
      help: "model prices (JSON, as query --usage --prices) for spans that carry no cost",
    },
    {
      name: "allow-host",
      value: "<name>",
      repeatable: true,
      help: "one more name accepted in the Host header",
    },
  ],
  validate(args) {
    const journal = args.positionals.length > 0;
    if (journal === (args.options.db !== undefined)) {
      throw new UsageError("serve takes a <journal> or --db <file>, not both, not neither");
    }
  },
  async run(args, io) {
    const o = args.options;
    const host = o.host as string;
    const db = o.db as string | undefined;
    const shown = args.positionals[0];
    const journal = shown === undefined ? undefined : absolutePath(shown);
    if (db !== undefined) await requireStore(db);
    else await requireJournal(shown, journal!, io.fs);
    const prices = o.prices === undefined ? undefined : await readPricesFile(o.prices as string);
    const { serve } = await import("../../viewer/serve.ts");
    return await serveUntilStopped(io, `${host}:${o.port}`, () =>
      serve({
        db,
        journal,
        port: o.port as number,
        host,
        allowedHosts: o["allow-host"] as string[] | undefined,
        prices,
      }));
  },
};
