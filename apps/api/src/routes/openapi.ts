import { buildOpenApiDocument } from "@turnq/contract";
import { Hono } from "hono";
import type { AppEnv } from "../deps.ts";

/**
 * `GET /openapi.json`: the OpenAPI 3.1 document, built from the schemas the routes validate with.
 * Built on the first request (about 10 ms), then served from memory.
 */
export function openApiRoutes() {
  let text: string | undefined;
  return new Hono<AppEnv>().get("/openapi.json", (c) => {
    text ??= JSON.stringify(buildOpenApiDocument());
    return c.body(text, 200, { "content-type": "application/json", "cache-control": "public, max-age=300" });
  });
}
