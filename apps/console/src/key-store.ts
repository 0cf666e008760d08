/**
 * The pasted API key lives in this tab's sessionStorage only: gone when the tab closes, never in
 * localStorage, a cookie or a URL.
 */
const slot = "turnq.apiKey";

export const keyStore = {
  get: (): string | null => sessionStorage.getItem(slot),
  set: (key: string) => sessionStorage.setItem(slot, key),
  clear: () => sessionStorage.removeItem(slot),
};
