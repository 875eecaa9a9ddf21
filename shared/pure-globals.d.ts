// shared/ compiles with the ES library only, so that nothing runtime-specific
// (sockets, timers, Node or Workers globals) can creep in. These two codecs are
// the exception: they exist, identically, in Node, workerd and browsers.

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
