// RFC 6455 §5.2 arithmetic: the frame header a message of a given payload length costs on the wire.

/**
 * Header bytes of one frame carrying `payloadBytes`: 2, +2 for 126–65,535 bytes, +8 above; +4 for the mask key a
 * client adds to every frame it sends (§5.3).
 */
export function frameHeaderBytes(payloadBytes, masked) {
  const length = payloadBytes < 126 ? 0 : payloadBytes <= 0xffff ? 2 : 8;
  return 2 + length + (masked ? 4 : 0);
}

const utf8 = new TextEncoder();

/** Payload bytes of a message as the WebSocket API hands it over: UTF-8 for text, the length for binary. */
export function payloadBytes(data) {
  if (typeof data === 'string') return utf8.encode(data).length;
  if (data instanceof Blob) return data.size;
  return data.byteLength ?? 0; // ArrayBuffer or a view
}
