import { createJournalSink, createLogger } from "@dispatch/journal-sink";
import { startChat, startToolCall } from "@dispatch/journal-sink/genai";

const sink = createJournalSink({ path: "logs/agent.jsonl", maxFiles: 5 });
const host = createLogger({ sink, extensionId: "host", redact: ["apiKey"] });

// One turn of one conversation: its records share the ids and one trace id.
const turn = host.child({ conversationId: "conv-1", turnId: "turn-1" });
await turn.withSpan("turn", async (span) => {
  const chat = startChat(span, { model: "claude-sonnet-4-5", provider: "anthropic" });
  chat.end({ inputTokens: 1850, outputTokens: 96, finishReasons: ["tool_use"] });

  const tool = startToolCall(span, { name: "search", callId: "toolu_01" });
  tool.span.info("searching", { query: "durable logs", apiKey: "sk-123" }); // apiKey → "[REDACTED]"
  await new Promise((resolve) => setTimeout(resolve, 20)); // the tool's work
  tool.fail(new Error("upstream 503"));

  startToolCall(span, { name: "shell", callId: "toolu_02" }); // still running at a crash: open
});
sink.close();
