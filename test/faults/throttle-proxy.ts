/**
 * A TCP proxy on loopback whose relay-to-cloud direction can be slowed to a
 * byte rate: a slow consumer, as a congested uplink looks to the relay. Bytes
 * are never dropped (unlike test/support/tcp-proxy.ts's freeze): the proxy
 * stops reading when its own buffer is full, so TCP backpressure reaches the
 * relay's socket and then its outbox.
 */
import net from "node:net";

export interface ThrottleProxy {
  readonly port: number;
  /** Bytes per second from the client to the target; Infinity for no limit. */
  setRate(bytesPerSecond: number): void;
  close(): Promise<void>;
}

const TICK_MS = 10;
const HIGH_WATER = 64 * 1024;

export async function startThrottleProxy(targetPort: number): Promise<ThrottleProxy> {
  let rate = Infinity;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; queue: Buffer[]; queued: number }>();

  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    const pair = { client, upstream, queue: [] as Buffer[], queued: 0 };
    pairs.add(pair);
    client.on("data", (chunk) => {
      pair.queue.push(chunk);
      pair.queued += chunk.byteLength;
      if (pair.queued > HIGH_WATER) client.pause();
    });
    upstream.pipe(client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });

  const timer = setInterval(() => {
    for (const pair of pairs) {
      let budget = rate === Infinity ? Infinity : Math.max(1, Math.floor((rate * TICK_MS) / 1000));
      while (budget > 0 && pair.queue.length > 0) {
        const head = pair.queue[0] as Buffer;
        const n = Math.min(head.byteLength, budget);
        pair.upstream.write(head.subarray(0, n));
        if (n === head.byteLength) pair.queue.shift();
        else pair.queue[0] = head.subarray(n);
        pair.queued -= n;
        budget -= n;
      }
      if (pair.queued < HIGH_WATER / 4 && pair.client.isPaused()) pair.client.resume();
    }
  }, TICK_MS);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    setRate(bytesPerSecond: number) {
      rate = bytesPerSecond;
    },
    close() {
      clearInterval(timer);
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
