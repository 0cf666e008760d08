export { runCommand, usage, Usage, type CommandDeps } from "./commands.ts";
