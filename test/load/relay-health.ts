/** The relay's /health, typed as far as the load tools read it, and differences between two reads. */
import type { RelayProcess } from "../stack/relay-process.js";

export interface RelayHealth {
  status: string;
  calls: number;
  streams: number;
  link: { state: string; reconnects: number };
  queue: { audioFrames: number; droppedAudioFrames: number; controlMessages: number };
  counters: {
    link: { messagesSent: number; bytesSent: number; messagesReceived: number; bytesReceived: number; callErrors: number; protocolErrors: number; framesReceived: number; backpressureWaits: number };
    audio: { framesIn: number; playbackFramesRefused: number; streamErrors: number; playbackChunksOut: number };
  };
}

export async function relayHealth(relay: RelayProcess): Promise<RelayHealth> {
  return (await relay.health()) as unknown as RelayHealth;
}

/** Link traffic and losses between two reads. */
export function healthDelta(a: RelayHealth, b: RelayHealth) {
  const l0 = a.counters.link;
  const l1 = b.counters.link;
  return {
    messagesSent: l1.messagesSent - l0.messagesSent,
    bytesSent: l1.bytesSent - l0.bytesSent,
    messagesReceived: l1.messagesReceived - l0.messagesReceived,
    bytesReceived: l1.bytesReceived - l0.bytesReceived,
    droppedAudioFrames: b.queue.droppedAudioFrames - a.queue.droppedAudioFrames,
    playbackFramesRefused: b.counters.audio.playbackFramesRefused - a.counters.audio.playbackFramesRefused,
    callErrors: l1.callErrors - l0.callErrors,
    protocolErrors: l1.protocolErrors - l0.protocolErrors,
    streamErrors: b.counters.audio.streamErrors - a.counters.audio.streamErrors,
  };
}
