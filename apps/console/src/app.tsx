import { createClient, type TurnqClient } from "@turnq/client";
import { useMemo, useState } from "preact/hooks";
import { keyStore } from "./key-store.ts";
import { AgentsPage } from "./pages/agents.tsx";
import { FleetPage } from "./pages/fleet.tsx";
import { SessionPage } from "./pages/session.tsx";
import { SessionsPage } from "./pages/sessions.tsx";
import { TurnPage } from "./pages/turn.tsx";
import { href, useRoute } from "./route.ts";

export function App() {
  const [key, setKey] = useState(keyStore.get());
  const [refused, setRefused] = useState(false);
  const client = useMemo(
    () =>
      key
        ? createClient({
            baseUrl: location.origin,
            apiKey: key,
            onUnauthorized: () => (keyStore.clear(), setKey(null), setRefused(true)),
          })
        : undefined,
    [key],
  );
  const route = useRoute();
  if (!client) return <KeyForm refused={refused} onKey={(k) => (keyStore.set(k), setKey(k), setRefused(false))} />;
  const forget = () => (keyStore.clear(), setKey(null));
  return (
    <div class="shell">
      <nav class="top">
        <strong>turnq</strong>
        <a href={href.sessions()} class={route.page === "sessions" || route.page === "session" ? "on" : ""}>Sessions</a>
        <a href={href.fleet()} class={route.page === "fleet" ? "on" : ""}>Fleet</a>
        <a href={href.agents()} class={route.page === "agents" ? "on" : ""}>Agents</a>
        <span class="grow" />
        <button type="button" class="link" onClick={forget}>Forget key</button>
      </nav>
      <main>
        <Page client={client} route={route} />
      </main>
    </div>
  );
}

function Page({ client, route }: { client: TurnqClient; route: ReturnType<typeof useRoute> }) {
  switch (route.page) {
    case "sessions":
      return <SessionsPage client={client} />;
    case "session":
      return <SessionPage key={route.id} client={client} id={route.id} />;
    case "turn":
      return <TurnPage key={route.id} client={client} id={route.id} />;
    case "fleet":
      return <FleetPage client={client} />;
    case "agents":
      return <AgentsPage client={client} />;
  }
}

function KeyForm({ onKey, refused }: { onKey: (key: string) => void; refused: boolean }) {
  const [value, setValue] = useState("");
  return (
    <form
      class="key-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) onKey(value.trim());
      }}
    >
      <h1>turnq console</h1>
      <p>Paste an API key. It stays in this tab (session storage) and is sent only in the Authorization header.</p>
      {refused && <p class="error">The API refused that key (401); paste a valid one.</p>}
      <input name="apiKey" type="password" autocomplete="off" placeholder="API key" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit">Open</button>
    </form>
  );
}
