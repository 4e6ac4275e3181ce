// What the sink's input checks cost per record, without I/O: the record check (issue 15,
// item 3) and the maxRecordBytes threshold (item 7), next to the JSON.stringify every
// record pays anyway. Run: `node bench/record_check.bench.ts`, `bun bench/record_check.bench.ts`,
// `deno run -A bench/record_check.bench.ts`. Prints ns per record (median of 15 runs of 20k
// records) and the check's share of stringify.
import { recordDefect } from "../src/record_check.ts";
import { makeRecords } from "./records.ts";

const records = makeRecords(20_000);
let sink = 0;

const ways: Record<string, () => void> = {
  "JSON.stringify": () => {
    for (const record of records) sink += JSON.stringify(record).length;
  },
  "record check + size threshold": () => {
    for (const record of records) {
      if (recordDefect(record, false) !== undefined) sink++;
      if (sink > 1_398_101) sink = 0;
    }
  },
};

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
for (let run = 0; run < 16; run++) {
  for (const [name, way] of Object.entries(ways)) {
    const start = performance.now();
    way();
    if (run > 0) samples[name].push(((performance.now() - start) * 1e6) / records.length);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const stringify = median(samples["JSON.stringify"]);
for (const [name, xs] of Object.entries(samples)) {
  console.log(
    `${name.padEnd(32)} ${median(xs).toFixed(1).padStart(8)} ns/record  (${
      (median(xs) / stringify * 100).toFixed(1)
    }% of stringify)`,
  );
}
if (sink === -1) console.log(sink);
