/** Local ports for the stack: whether one is free to listen on. */
import { createServer } from "node:net";

/** True when 127.0.0.1:`port` can be listened on now (0 is always free). */
export function portFree(port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}
