// The protobuf schema journal-sink embeds is the official one: the descriptor in
// src/otlp/otlp_descriptor.ts equals what protobufjs builds from the vendored .proto files of
// open-telemetry/opentelemetry-proto (tests/fixtures/otlp), and the two encode alike.
import { test } from "node:test";
import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { OTLP_DESCRIPTOR } from "../src/otlp/otlp_descriptor.ts";
import { loadOtlpProtobuf } from "../src/otlp/otlp_protobuf.ts";

const protoDir = new URL("./fixtures/otlp/", import.meta.url).pathname;

function officialDescriptor(): Record<string, unknown> {
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string) => protoDir + target;
  root.loadSync([
    "opentelemetry/proto/collector/logs/v1/logs_service.proto",
    "opentelemetry/proto/collector/trace/v1/trace_service.proto",
  ]);
  // Services, file options and proto names play no part in encoding.
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(clean);
    if (typeof value !== "object" || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === "options" || key === "protoName" || key === "comment") continue;
      if (typeof v === "object" && v !== null && "methods" in v) continue;
      out[key] = clean(v);
    }
    return out;
  };
  return clean(root.toJSON()) as Record<string, unknown>;
}

test("the embedded descriptor is the official opentelemetry-proto schema", () => {
  const { google, ...otlp } = (OTLP_DESCRIPTOR as { nested: Record<string, unknown> }).nested;
  assert.deepEqual({ nested: otlp }, officialDescriptor());
  assert.ok(google, "google.rpc.Status for error bodies");
});

test("a request encoded through the lazy codecs decodes with the official protos", async () => {
  const codecs = await loadOtlpProtobuf();
  assert.equal(await loadOtlpProtobuf(), codecs);
  const root = protobuf.Root.fromJSON(officialDescriptor() as protobuf.INamespace);
  const type = root.lookupType("opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest");
  const bytes = codecs.logsRequest.encode({
    resourceLogs: [{
      scopeLogs: [{
        logRecords: [{
          timeUnixNano: { low: 1, high: 2 },
          severityNumber: 13,
          body: { stringValue: "slow" },
          traceId: new Uint8Array(16).fill(7),
        }],
      }],
    }],
  });
  const decoded = type.toObject(type.decode(bytes), { longs: String, bytes: String });
  const [record] = decoded.resourceLogs[0].scopeLogs[0].logRecords;
  assert.equal(record.timeUnixNano, String(2n * 2n ** 32n + 1n));
  assert.equal(record.severityNumber, 13);
  assert.equal(record.body.stringValue, "slow");
  assert.equal(record.traceId, btoa(String.fromCharCode(...new Uint8Array(16).fill(7))));
});
