import { useEffect, useState } from "preact/hooks";
import { errorText } from "./format.ts";

/**
 * Loads `fetch()` now, then again after `again(value)` ms (`value` undefined when the load failed;
 * null stops), until the page unmounts or `deps` change. The fleet and turn pages poll this way.
 */
export function usePolled<T>(fetch: () => Promise<T>, again: (value: T | undefined) => number | null, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      let value: T | undefined;
      try {
        value = await fetch();
        if (stop) return;
        setData(value);
        setError(null);
      } catch (err) {
        if (stop) return;
        setError(errorText(err));
      }
      const delay = again(value);
      if (delay !== null) timer = setTimeout(() => void load(), delay);
    };
    void load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, deps);
  return { data, error };
}
