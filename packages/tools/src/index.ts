export type { JsonSchema, Tool, ToolContext, ToolSpec, ValidationResult } from "./tool.ts";
export { toolNamePattern } from "./tool.ts";
export { defineTool, type ToolDefinition } from "./define-tool.ts";
export { createToolRegistry, type ToolRegistry } from "./tool-registry.ts";
export {
  runToolCalls,
  type RunToolCallsOptions,
  type ToolCall,
  type ToolErrorKind,
  type ToolResult,
} from "./run-tool-calls.ts";
export { capContent, defaultMaxContentBytes } from "./result-content.ts";
export { anyAddress, isPublicAddress, publicAddressesOnly, type AddressPolicy, type ConnectTarget } from "./address-policy.ts";
export { createGuardedAgent, OutboundRequestBlockedError, type GuardedAgentOptions, type Lookup } from "./ssrf-guard.ts";
export { ResponseTooLargeError } from "./read-body.ts";
export { createHttpTool, type HttpToolDeclaration } from "./http-tool.ts";
export { createCurrentTimeTool, currentTimeTool, type CurrentTimeResult } from "./builtins/current-time.ts";
export { createHttpGetTool, type HttpGetResult, type HttpGetToolOptions } from "./builtins/http-get.ts";
