import { useEffect, useState } from "preact/hooks";

/** Pages are addressed by the URL fragment (#/sessions/ses_…), so the server serves one page. */
export type Route =
  | { page: "sessions" }
  | { page: "session"; id: string }
  | { page: "turn"; id: string }
  | { page: "fleet" }
  | { page: "agents" };

export function parseRoute(hash: string): Route {
  const [, page, id] = hash.replace(/^#/, "").split("/");
  if (page === "sessions" && id) return { page: "session", id: decodeURIComponent(id) };
  if (page === "turns" && id) return { page: "turn", id: decodeURIComponent(id) };
  if (page === "fleet") return { page: "fleet" };
  if (page === "agents") return { page: "agents" };
  return { page: "sessions" };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

export const href = {
  sessions: () => "#/sessions",
  session: (id: string) => `#/sessions/${encodeURIComponent(id)}`,
  turn: (id: string) => `#/turns/${encodeURIComponent(id)}`,
  fleet: () => "#/fleet",
  agents: () => "#/agents",
};
