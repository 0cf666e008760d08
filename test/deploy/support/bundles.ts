/** How long a started process may take to say it is ready: the machine is shared and busy. */
export const STARTUP_MS = 90_000;
